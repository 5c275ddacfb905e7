// infra/compose/compose.yaml against the Compose Specification's JSON schema (from the dclint
// package), dclint's rules and cross-references (infra/test/lib/compose.ts). Offline: no Docker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { checkCompose, interpolate } from './lib/compose.js';
import { isRecord, ROOT } from './lib/files.js';

const DIR = path.join(ROOT, 'infra', 'compose');
const FILE = path.join(DIR, 'compose.yaml');
const TEXT = fs.readFileSync(FILE, 'utf8');
// Test values; real ones come from `node infra/secrets.mjs compose`.
const ENV = {
  POSTGRES_PASSWORD: 'secret',
  NATS_GATEWAY_PASSWORD: 'gatewayPassword',
  NATS_WORKER_PASSWORD: 'workerPassword',
  NATS_ADMIN_PASSWORD: 'adminPassword',
};

/** The compose model as Docker Compose sees it with ENV (merge keys and variables resolved). */
function model(): { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> } {
  const problems: string[] = [];
  const value = interpolate(YAML.parse(TEXT, { merge: true }), ENV, problems);
  assert.deepEqual(problems, []);
  return value as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
}

describe('compose.yaml', () => {
  it('is valid against the compose-spec schema, dclint and the cross-checks', () => {
    assert.deepEqual(checkCompose(TEXT, { name: 'compose.yaml', dir: DIR, env: ENV, lintFile: FILE }), []);
  });

  it('refuses to start without the database and NATS passwords, which .env.example leaves empty', () => {
    const example = fs.readFileSync(path.join(DIR, '.env.example'), 'utf8');
    const env = Object.fromEntries([...example.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const problems = checkCompose(TEXT, { name: 'compose.yaml', dir: DIR, env });
    for (const name of Object.keys(ENV)) {
      assert.equal(env[name], '', `${name} is empty in .env.example`);
      assert.ok(
        problems.some((p) => p.includes(`required variable ${name} is not set`)),
        name,
      );
    }
  });

  it('runs NATS with JetStream on a volume, PostgreSQL 16, the gateway and N CPU workers', () => {
    const { services, volumes } = model();
    const nats = services.nats!;
    assert.match(String(nats.image), /^nats:2\.10[.-]/);
    assert.deepEqual(nats.command, ['--config', '/etc/nats/nats.conf']);
    const conf = fs.readFileSync(path.join(DIR, 'nats', 'nats.conf'), 'utf8');
    assert.match(conf, /jetstream \{\s*store_dir: \/data\s*\}/);
    assert.deepEqual(nats.volumes, ['nats-data:/data', './nats:/etc/nats:ro']);
    assert.match(String(services.postgres!.image), /^postgres:16[.-]/);

    const gateway = services.gateway!;
    const env = gateway.environment as Record<string, string>;
    assert.equal(env.NATS_URL, 'tls://nats:4222');
    assert.equal(env.DATABASE_URL, 'postgres://lrnas:secret@postgres:5432/lrnas');
    assert.equal(env.LRNAS_WEB_DIST, '/app/web/dist');
    assert.equal(env.PORT, '4000');
    assert.deepEqual(gateway.depends_on, {
      nats: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });

    const cpu = services['worker-cpu']!;
    assert.equal((cpu.deploy as { replicas: unknown }).replicas, '2');
    assert.equal(cpu.profiles, undefined);
    const workerEnv = cpu.environment as Record<string, string>;
    for (const name of ['NATS_URL', 'LRNAS_BACKEND', 'LRNAS_METRICS_PORT', 'LRNAS_DATA_DIR', 'LRNAS_WORK_DIR']) {
      assert.ok(workerEnv[name], `worker-cpu sets ${name}`);
    }
    assert.deepEqual(Object.keys(volumes).sort(), ['gateway-data', 'nats-data', 'postgres-data', 'worker-data']);
  });

  it('has a GPU worker only in the gpu profile, reserving an NVIDIA device', () => {
    const gpu = model().services['worker-gpu']!;
    assert.deepEqual(gpu.profiles, ['gpu']);
    const devices = (gpu.deploy as { resources: { reservations: { devices: Record<string, unknown>[] } } }).resources
      .reservations.devices;
    assert.deepEqual(devices, [{ driver: 'nvidia', device_ids: ['0'], capabilities: ['gpu', 'graphics'] }]);
    // WebGPU computes through the driver's Vulkan ICD, which the toolkit mounts for the graphics capability.
    const env = gpu.environment as Record<string, string>;
    assert.match(env.NVIDIA_DRIVER_CAPABILITIES ?? '', /\bgraphics\b/);
    assert.equal((gpu.build as { dockerfile: string }).dockerfile, 'infra/docker/worker-gpu.Dockerfile');
  });

  it('.env.example names every variable the file uses', () => {
    const example = fs.readFileSync(path.join(DIR, '.env.example'), 'utf8');
    const used = new Set([...TEXT.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!));
    for (const name of used) assert.match(example, new RegExp(`^${name}=`, 'm'), `${name} in .env.example`);
  });

  it('finds the problems of a broken compose file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-compose-'));
    try {
      const broken = [
        'name: broken',
        'services:',
        '  api:',
        '    image: example/api',
        '    restart: sometimes',
        '    depends_on:',
        '      db:',
        '        condition: service_healthy',
        '      cache:',
        '        condition: service_started',
        '      gpu:',
        '        condition: service_ready',
        '    volumes:',
        '      - api-data:/data',
        '    helthcheck:',
        '      test: [CMD, "true"]',
        '  db:',
        '    image: postgres:16.10',
        '  gpu:',
        '    image: example/gpu:1.0',
        '    profiles: [gpu]',
        '    build:',
        '      context: ./missing',
        'volumes:',
        '  unused:',
        '',
      ].join('\n');
      const file = path.join(dir, 'compose.yaml');
      fs.writeFileSync(file, broken);
      const problems = checkCompose(broken, { name: 'compose.yaml', dir, env: {}, lintFile: file });
      const expect = (pattern: RegExp) =>
        assert.ok(
          problems.some((p) => pattern.test(p)),
          `expected ${pattern} among:\n${problems.join('\n')}`,
        );
      expect(/schema: \/services\/api .*additional properties \(helthcheck\)/);
      expect(/schema: \/services\/api\/depends_on\/gpu\/condition must be equal to one of the allowed values/);
      expect(/depends on cache, which is not a service/);
      expect(/waits for db to be healthy, but db has no health check/);
      expect(/depends on gpu, which only runs with profile gpu/);
      expect(/mounts volume api-data, which is not declared/);
      expect(/volume unused is declared but no service mounts it/);
      expect(/image example\/api is not pinned/);
      expect(/build context \.\/missing is missing/);
      expect(/dclint invalid-schema/);
      // dclint's own rules run on a file that passes the schema.
      const valid = 'name: x\nservices:\n  api:\n    image: example/api\n    ports:\n      - 8080:80\n';
      fs.writeFileSync(file, valid);
      const lint = checkCompose(valid, { name: 'compose.yaml', dir, env: {}, lintFile: file }).join('\n');
      assert.match(lint, /dclint service-image-require-explicit-tag/);
      assert.match(lint, /dclint require-quotes-in-ports/);
      assert.ok(
        checkCompose('services: [1, 2\n', { name: 'x.yaml', dir, env: {} }).some((p) => /YAML/.test(p)),
        'a YAML syntax error is reported',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('interpolates like Compose', () => {
    const problems: string[] = [];
    const env = { A: 'a', EMPTY: '' };
    const out = interpolate(
      { x: '${A}-${B:-b}-${EMPTY:-e}-${EMPTY-f}-$$A-$A', y: ['${MISSING:?needed}'] },
      env,
      problems,
    );
    assert.ok(isRecord(out));
    assert.equal(out.x, 'a-b-e--$A-a');
    assert.deepEqual(problems, ['required variable MISSING is not set: needed']);
  });
});
