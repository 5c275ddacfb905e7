#!/usr/bin/env node
// Prepares the GPU device check of issue 20 (item 5) for a machine with an NVIDIA GPU and no network: writes
// .device-check/ at the repository root (git-ignored; about 50 MB) with everything run.sh needs there:
//   node.xz          this Node binary (the engine needs Node 20+; the device machine may have none)
//   engine.tar.xz    the engine's sources (services/engine, schema, client, the tsconfigs) and the packages they
//                    load at run time, Dawn's linux-x64 build (npm `webgpu`) among them, with tsx to run TypeScript
//   debs/*.deb       Debian's Vulkan loader (libvulkan1): Dawn loads libvulkan.so.1, which finds the NVIDIA
//                    driver's Vulkan ICD; unpacked there without root (dpkg-deb -x)
//   ENGINE_COMMIT    the commit the engine was taken from (the copy has no git)
//   run.sh           the check itself (a copy of infra/device-check/run.sh)
// Run here, with apt's package lists available for `apt-get download`: node infra/device-check/prepare.mjs
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = path.join(root, '.device-check');
const log = (line) => process.stdout.write(`[device-check] ${line}\n`);

/** The engine's sources and what they run with: the workspaces it imports and the repository's configs. */
const SOURCES = [
  'package.json',
  'tsconfig.base.json',
  'tsconfig.runtime.json',
  'services/engine',
  'schema/package.json',
  'schema/src',
  'client/package.json',
  'client/src',
];
/** Packages run.sh's commands load besides the engine's dependencies; data sets the check does not read are left. */
const EXTRA = ['tsx'];
const SKIP = new Set(['mnist', 'fashion-mnist', '@lrnas/client', '@lrnas/schema']);

/** The installed packages `names` need at run time, dependencies of dependencies included (node_modules paths). */
function runtimePackages(names) {
  const found = new Map();
  const visit = (name, from) => {
    if (SKIP.has(name) || found.has(name)) return;
    let manifest;
    try {
      manifest = createRequire(path.join(from, 'package.json')).resolve(`${name}/package.json`);
    } catch {
      // Packages without an exported package.json: the folder by name under the nearest node_modules.
      const dir = path.join(root, 'node_modules', name);
      if (!fs.existsSync(dir)) throw new Error(`package ${name} is not installed (npm ci first)`);
      manifest = path.join(dir, 'package.json');
    }
    const dir = path.dirname(manifest);
    found.set(name, path.relative(root, dir));
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (fs.existsSync(path.join(root, 'node_modules', dep)) || fs.existsSync(path.join(dir, 'node_modules', dep)))
        visit(dep, dir);
    }
  };
  for (const name of names) visit(name, path.join(root, 'services', 'engine'));
  return [...found.values()];
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'debs'), { recursive: true });

const engine = JSON.parse(fs.readFileSync(path.join(root, 'services/engine/package.json'), 'utf8'));
const packages = runtimePackages([...Object.keys(engine.dependencies), ...EXTRA]);
// Dawn ships a build per platform inside `webgpu`: the device machine is linux-x64, the rest is left out.
const excludes = ['--exclude=node_modules/webgpu/dist/darwin-*', '--exclude=node_modules/webgpu/dist/win32-*'];
excludes.push('--exclude=node_modules/webgpu/dist/linux-arm64', '--exclude=services/engine/bench-results');
excludes.push('--exclude=services/engine/scratch', '--exclude=*.tsbuildinfo');
// The workspace links the sources import through (@lrnas/schema, @lrnas/client).
const links = ['node_modules/@lrnas/schema', 'node_modules/@lrnas/client'];
log(`engine sources and ${packages.length} packages -> engine.tar.xz`);
execFileSync('tar', ['-cJf', path.join(out, 'engine.tar.xz'), ...excludes, ...SOURCES, ...links, ...packages], {
  cwd: root,
  env: { ...process.env, XZ_OPT: '-6 -T0' },
  stdio: 'inherit',
});

log(`${process.execPath} (Node ${process.version}) -> node.xz`);
execFileSync('sh', ['-c', `xz -6 -T0 -c "${process.execPath}" > "${path.join(out, 'node.xz')}"`], { stdio: 'inherit' });

log('libvulkan1 (the Vulkan loader) -> debs/');
execFileSync('apt-get', ['download', 'libvulkan1'], { cwd: path.join(out, 'debs'), stdio: 'inherit' });

// The copy has no git: the benchmark names the engine by the commit it was made from (uncommitted changes marked).
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'services/engine', 'schema', 'client'], {
  cwd: root,
  encoding: 'utf8',
}).trim();
fs.writeFileSync(path.join(out, 'ENGINE_COMMIT'), `${commit}${dirty ? '+changes' : ''}\n`);
fs.copyFileSync(path.join(root, 'infra/device-check/run.sh'), path.join(out, 'run.sh'));
fs.chmodSync(path.join(out, 'run.sh'), 0o755);
const size = fs.readdirSync(out, { recursive: true }).reduce((sum, f) => {
  const stat = fs.statSync(path.join(out, String(f)));
  return stat.isFile() ? sum + stat.size : sum;
}, 0);
log(
  `ready: ${path.relative(process.cwd(), out)} (${(size / 2 ** 20).toFixed(1)} MiB); on the GPU machine: bash .device-check/run.sh`,
);
