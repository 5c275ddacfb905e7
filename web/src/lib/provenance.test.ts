import assert from 'node:assert/strict';
import { test } from 'node:test';
import { provenance } from './provenance.js';

test("a worker's run names its worker and backend; a logged run its client, version and key", () => {
  const base = { workerId: null, backend: null, client: null, loggedBy: null };
  assert.equal(provenance({ ...base, source: 'WORKER', workerId: 'w-1', backend: 'wasm' }), 'worker w-1 · wasm');
  assert.equal(provenance({ ...base, source: 'WORKER' }), 'worker (not started)');
  assert.equal(
    provenance({ ...base, source: 'CLIENT', client: '@lrnas/client 0.1.0', loggedBy: 'laptop' }),
    'logged by @lrnas/client 0.1.0 · key laptop',
  );
  assert.equal(provenance({ ...base, source: 'CLI', backend: 'tfjs-wasm' }), 'logged by the lrnas CLI · tfjs-wasm');
});

test("a study's row names its study, arm and seed before its worker", () => {
  const run = { source: 'WORKER', workerId: 'w-1', backend: 'wasm', client: null, loggedBy: null } as const;
  assert.equal(
    provenance({ ...run, studyRow: { studyRunId: 'run_s1', arm: 'random', seed: 5 } }),
    'study run_s1 · random · seed 5 · worker w-1 · wasm',
  );
  assert.equal(provenance({ ...run, studyRow: null }), 'worker w-1 · wasm');
});
