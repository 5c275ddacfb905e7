// The images' Dockerfiles, linted offline (no Docker daemon needed): dockerfile-utils' validator
// plus this project's rules (infra/test/lib/dockerfile.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkDockerfile, imageProblems } from './lib/dockerfile.js';
import { dockerIgnore, listFiles, rel, ROOT } from './lib/files.js';

const DOCKER_DIR = path.join(ROOT, 'infra', 'docker');
const dockerignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
const read = (name: string) => fs.readFileSync(path.join(DOCKER_DIR, name), 'utf8');

describe('Dockerfiles', () => {
  it('gateway, worker-cpu, worker-gpu and worker-gpu-tfjs exist', () => {
    const names = listFiles(DOCKER_DIR, (n) => n.endsWith('.Dockerfile')).map((f) => path.basename(f));
    assert.deepEqual(names, [
      'gateway.Dockerfile',
      'worker-cpu.Dockerfile',
      'worker-gpu-tfjs.Dockerfile',
      'worker-gpu.Dockerfile',
    ]);
  });

  for (const file of listFiles(DOCKER_DIR, (n) => n.endsWith('.Dockerfile'))) {
    it(`${rel(file)} passes the linter and the project's rules`, () => {
      const problems = checkDockerfile(fs.readFileSync(file, 'utf8'), { name: rel(file), context: ROOT, dockerignore });
      assert.deepEqual(problems, []);
    });
  }

  it('each image runs its service through tsx with the runtime tsconfig', () => {
    for (const [name, main] of [
      ['gateway.Dockerfile', 'services/gateway/src/main.ts'],
      ['worker-cpu.Dockerfile', 'services/worker/src/main.ts'],
      ['worker-gpu.Dockerfile', 'services/worker/src/main.ts'],
      ['worker-gpu-tfjs.Dockerfile', 'services/worker/src/main.ts'],
    ] as const) {
      const text = read(name);
      assert.match(text, new RegExp(`CMD \\["node", "--import", "tsx", "${main}"\\]`), name);
      assert.match(text, /TSX_TSCONFIG_PATH=\/app\/tsconfig\.runtime\.json/, name);
    }
    assert.match(read('gateway.Dockerfile'), /LRNAS_WEB_DIST=\/app\/web\/dist/);
    assert.match(read('gateway.Dockerfile'), /COPY --from=build \/app\/web\/dist web\/dist/);
  });

  it('the WebGPU image has the Vulkan loader and asks the NVIDIA toolkit for the graphics capability', () => {
    const text = read('worker-gpu.Dockerfile');
    assert.match(text, /apt-get install -y --no-install-recommends libvulkan1/);
    assert.match(text, /NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
    const engine = JSON.parse(fs.readFileSync(path.join(ROOT, 'services/engine/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.equal(engine.dependencies.webgpu, '0.6.2', "Dawn ships inside npm webgpu: the engine's dependency");
    assert.equal(engine.dependencies['@tensorflow/tfjs-backend-webgpu'], '4.22.0');
  });

  it('the tfjs-node-gpu image has CUDA 11.2 + cuDNN 8 (what libtensorflow 2.9.1 needs) and tfjs-node-gpu 4.22.0', () => {
    const text = read('worker-gpu-tfjs.Dockerfile');
    assert.match(text, /^ARG CUDA_IMAGE=nvidia\/cuda:11\.2\.\d+-cudnn8-runtime-ubuntu20\.04$/m);
    assert.match(text, /--add @tensorflow\/tfjs-node-gpu@4\.22\.0 /);
    // The engine's tfjs-core and tfjs-node-gpu's must be one package for the backend to register.
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    assert.equal(lock.packages['node_modules/@tensorflow/tfjs-core']?.version, '4.22.0');
    for (const name of ['worker-cpu.Dockerfile', 'worker-gpu.Dockerfile', 'worker-gpu-tfjs.Dockerfile']) {
      assert.match(read(name), /LRNAS_BACKEND=auto/, name);
      assert.match(read(name), /EXPOSE 9464/, name);
    }
  });

  it("every stage that installs copies every workspace's manifest first (npm ci refuses a lockfile naming a missing one)", () => {
    const { workspaces } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    for (const name of [
      'gateway.Dockerfile',
      'worker-cpu.Dockerfile',
      'worker-gpu.Dockerfile',
      'worker-gpu-tfjs.Dockerfile',
    ]) {
      for (const stage of read(name)
        .split(/^FROM /m)
        .slice(1)) {
        const install = stage.search(/npm (ci|install)\b/);
        if (install < 0) continue;
        const before = stage.slice(0, install);
        for (const dir of workspaces) {
          assert.ok(
            before.includes(`COPY ${dir}/package.json ${dir}/`),
            `${name}, stage ${stage.split('\n')[0]}: ${dir}`,
          );
        }
      }
    }
  });

  it('base images are pinned and the Node.js version satisfies the engines field', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const min = /(\d+)\.(\d+)/.exec(pkg.engines.node)!;
    for (const name of [
      'gateway.Dockerfile',
      'worker-cpu.Dockerfile',
      'worker-gpu.Dockerfile',
      'worker-gpu-tfjs.Dockerfile',
    ]) {
      const m = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)\.(\d+)-bookworm-slim$/m.exec(read(name));
      assert.ok(m, `${name} pins node:X.Y.Z-bookworm-slim`);
      assert.equal(m[1], min[1], `${name}: Node.js major`);
      assert.ok(Number(m[2]) >= Number(min[2]), `${name}: Node.js minor >= ${min[2]}`);
    }
  });

  it('finds the problems of a broken Dockerfile', () => {
    const broken = [
      'FROM node:latest',
      'WORKDIR /app',
      'COPY no-such-file.txt ./',
      'COPY node_modules/ ./node_modules/',
      'COPY --from=builder /app/dist ./dist',
      'EXPOSE http',
      'FROBNICATE now',
      'CMD ["node", "main.js"]',
      '',
    ].join('\n');
    const problems = checkDockerfile(broken, { name: 'broken.Dockerfile', context: ROOT, dockerignore });
    const expect = (pattern: RegExp) =>
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected ${pattern} among:\n${problems.join('\n')}`,
      );
    expect(/Unknown instruction: FROBNICATE/);
    expect(/Invalid containerPort: http/);
    expect(/node:latest is not pinned/);
    expect(/no-such-file\.txt does not exist/);
    expect(/node_modules\/ is excluded by \.dockerignore/);
    expect(/--from=builder/);
    expect(/not a multi-stage build/);
    expect(/runs as root/);
    expect(/no HEALTHCHECK/);
    assert.match(
      checkDockerfile('FROM a:1.0 AS x\nFROM b:2.0\nUSER root\nHEALTHCHECK NONE\n', { name: 'x' }).join('\n'),
      /runs as root[\s\S]*no HEALTHCHECK[\s\S]*no CMD/,
    );
  });

  it('tells pinned from floating image tags', () => {
    assert.deepEqual(imageProblems('nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04'), []);
    assert.deepEqual(imageProblems(`node@sha256:${'a'.repeat(64)}`), []);
    assert.equal(imageProblems('node').length, 1);
    assert.equal(imageProblems('node:20').length, 1);
    assert.equal(imageProblems('registry:5000/node').length, 1);
    assert.equal(imageProblems('${UNSET}').length, 1);
  });
});

describe('.dockerignore', () => {
  const ignored = dockerIgnore(dockerignore);
  it('keeps the sources and lockfile, drops dependencies, builds, tests and secrets', () => {
    for (const kept of [
      'package.json',
      'package-lock.json',
      'schema/src/names.ts',
      'web/index.html',
      'infra/local/package.json',
      'test/kit/package.json',
    ]) {
      assert.equal(ignored(kept), false, kept);
    }
    for (const dropped of [
      'node_modules/x/index.js',
      'services/gateway/node_modules/y',
      'web/dist/index.html',
      '.git/HEAD',
      'services/gateway/src/config.test.ts',
      'infra/compose/.env',
      '.lrnas/lrnas.sqlite',
      'infra/local/launch.mjs',
      'test/kit/src/graphql.ts',
    ]) {
      assert.equal(ignored(dropped), true, dropped);
    }
  });
  it('matches like Docker: ** across folders, ! re-includes, later lines win', () => {
    const match = dockerIgnore('**/*.log\n!keep/*.log\ndocs\n');
    assert.equal(match('a/b/c.log'), true);
    assert.equal(match('c.log'), true);
    assert.equal(match('keep/x.log'), false);
    assert.equal(match('docs/readme.txt'), true);
    assert.equal(match('src/docs.ts'), false);
  });
});

describe('workspace-subset.mjs (run in image builds)', () => {
  it('keeps the named workspaces, drops dev dependencies and adds a pinned package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-subset-'));
    try {
      const write = (file: string, data: unknown) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), JSON.stringify(data));
      };
      write('package.json', {
        name: 'root',
        workspaces: ['schema', 'services/engine', 'services/worker', 'services/gateway', 'web'],
        devDependencies: { tsx: '1.0.0' },
        scripts: { test: 'x' },
        allowScripts: { esbuild: true },
      });
      write('schema/package.json', { name: '@x/schema', devDependencies: { a: '1' } });
      write('services/engine/package.json', { name: '@x/engine' });
      write('services/worker/package.json', { name: '@x/worker', devDependencies: { b: '1' } });
      const script = path.join(DOCKER_DIR, 'workspace-subset.mjs');
      execFileSync(
        process.execPath,
        [script, '--add', '@tensorflow/tfjs-node-gpu@4.22.0', 'schema', 'services/engine', 'services/worker'],
        { cwd: dir, stdio: 'pipe' },
      );
      const root = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(root.workspaces, ['schema', 'services/engine', 'services/worker']);
      assert.equal(root.devDependencies, undefined);
      assert.deepEqual(root.dependencies, { '@tensorflow/tfjs-node-gpu': '4.22.0' });
      assert.deepEqual(root.allowScripts, { esbuild: true, '@tensorflow/tfjs-node-gpu': true });
      const worker = JSON.parse(fs.readFileSync(path.join(dir, 'services/worker/package.json'), 'utf8')) as object;
      assert.deepEqual(worker, { name: '@x/worker' });
      assert.throws(() => execFileSync(process.execPath, [script, 'nope'], { cwd: dir, stdio: 'pipe' }));
      assert.throws(() =>
        execFileSync(process.execPath, [script, '--add', 'x@^1', 'schema'], { cwd: dir, stdio: 'pipe' }),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
