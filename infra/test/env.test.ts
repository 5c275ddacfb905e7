// The environment variables that the images, the compose file and the Kubernetes manifests give
// the gateway and workers are ones those services read: a misspelt name would be ignored silently.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { isRecord, listFiles, ROOT } from './lib/files.js';
import { kustomize, podSpecOf } from './lib/kubernetes.js';

/** Variables read by the runtime, TensorFlow, NVIDIA's container toolkit or tsx, not by our code. */
const PLATFORM = new Set([
  'NODE_ENV',
  // Node.js adds these CA certificates to the ones TLS trusts (the NATS CA of the deployments).
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  'TSX_TSCONFIG_PATH',
  'TF_CPP_MIN_LOG_LEVEL',
  'TF_FORCE_GPU_ALLOW_GROWTH',
  'NVIDIA_VISIBLE_DEVICES',
  'NVIDIA_DRIVER_CAPABILITIES',
]);

/** The source text of the packages a service runs (its own, the engine for workers, the contracts). */
function sourcesOf(service: 'gateway' | 'worker'): string {
  const dirs = ['schema/src', `services/${service}/src`, ...(service === 'worker' ? ['services/engine/src'] : [])];
  return dirs
    .flatMap((dir) => listFiles(path.join(ROOT, dir), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts')))
    .map((file) => fs.readFileSync(file, 'utf8'))
    .join('\n');
}
const SOURCES = { gateway: sourcesOf('gateway'), worker: sourcesOf('worker') };

function unknownNames(service: 'gateway' | 'worker', names: Iterable<string>): string[] {
  return [...names].filter((name) => !PLATFORM.has(name) && !new RegExp(`\\b${name}\\b`).test(SOURCES[service]));
}

describe('environment variables given to the services', () => {
  it('Dockerfile ENV names are read by the service the image runs', () => {
    for (const [file, service] of [
      ['gateway.Dockerfile', 'gateway'],
      ['worker-cpu.Dockerfile', 'worker'],
      ['worker-gpu.Dockerfile', 'worker'],
    ] as const) {
      const text = fs.readFileSync(path.join(ROOT, 'infra', 'docker', file), 'utf8').replace(/\\\n/g, ' ');
      const names = [...text.matchAll(/^ENV\s+(.*)$/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((n) => n[1]!),
      );
      assert.ok(names.length > 0, file);
      assert.deepEqual(unknownNames(service, names), [], file);
    }
  });

  it('compose environment names are read by the service', () => {
    const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'infra', 'compose', 'compose.yaml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, { environment?: Record<string, unknown> }> };
    for (const [name, service] of [
      ['gateway', 'gateway'],
      ['worker-cpu', 'worker'],
      ['worker-gpu', 'worker'],
    ] as const) {
      const env = compose.services[name]!.environment!;
      assert.deepEqual(unknownNames(service, Object.keys(env)), [], name);
    }
  });

  it('Kubernetes container env names are read by the service', () => {
    for (const overlay of fs.readdirSync(path.join(ROOT, 'infra', 'k8s', 'overlays'))) {
      const { objects } = kustomize(path.join(ROOT, 'infra', 'k8s', 'overlays', overlay));
      for (const [name, service] of [
        ['gateway', 'gateway'],
        ['worker', 'worker'],
      ] as const) {
        const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
        const containers = podSpecOf(deployment)!.containers as { env?: unknown[] }[];
        const names = (containers[0]!.env ?? []).filter(isRecord).map((e) => String(e.name));
        assert.deepEqual(unknownNames(service, names), [], `${overlay} ${name}`);
      }
    }
  });

  it('notices a name no service reads', () => {
    assert.deepEqual(unknownNames('worker', ['LRNAS_WORKER_CONCURENCY', 'NATS_URL', 'NODE_ENV']), [
      'LRNAS_WORKER_CONCURENCY',
    ]);
  });
});
