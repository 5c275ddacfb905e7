// The artifact store must never hold a pipeline state whose finished stages' outputs are missing: a
// worker killed mid-upload left `pipeline.json` (search done) without `search-history.json`, and every
// later delivery failed on the missing file. Here the "kill" is a store that stops after n writes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { ObjectStore } from 'nats';
import { ARTIFACTS_BUCKET } from '@lrnas/schema';
import { JOB_FILES } from '@lrnas/engine';
import { useNatsServer } from '@lrnas/local/test-nats';
import { RunArtifacts } from '../src/run-artifacts.js';

const nats = useNatsServer('lrnas-worker-artifacts-', { topology: true });
const sink = { emit: () => {}, metric: () => {} };

/** A store that takes `writes` puts, then fails every one, as a killed worker would stop writing. */
function dyingStore(store: ObjectStore, writes: number): ObjectStore {
  let left = writes;
  return new Proxy(store, {
    get: (target, name, receiver) =>
      name === 'put'
        ? (...args: Parameters<ObjectStore['put']>) =>
            left-- > 0 ? target.put(...args) : Promise.reject(new Error('killed'))
        : Reflect.get(target, name, receiver),
  });
}

/** What the engine writes when a search finishes: its outputs first, then the state naming the stage. */
async function finishSearch(dir: string, onBetween?: () => Promise<void>): Promise<void> {
  for (const file of [JOB_FILES.alphas, JOB_FILES.searchHistory, JOB_FILES.genotype]) {
    await fs.writeFile(path.join(dir, file), JSON.stringify({ file }));
  }
  await onBetween?.();
  await fs.writeFile(path.join(dir, JOB_FILES.state), JSON.stringify({ completed: ['search'] }));
}

/** The stored state's finished stages, and whether the search's outputs are stored too. */
async function storedState(store: ObjectStore, runId: string): Promise<{ completed: string[]; outputs: boolean }> {
  const state = await store.getBlob(`${runId}/${JOB_FILES.state}`);
  const completed = state ? (JSON.parse(new TextDecoder().decode(state)) as { completed: string[] }).completed : [];
  const outputs = await Promise.all(
    [JOB_FILES.searchHistory, JOB_FILES.genotype].map(async (f) => (await store.info(`${runId}/${f}`)) !== null),
  );
  return { completed, outputs: outputs.every(Boolean) };
}

test('a state naming a finished stage is stored only after that stage outputs, however early the worker dies', async () => {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  for (let writes = 0; writes <= 5; writes++) {
    const runId = `run-die-${writes}`;
    const dir = path.join(nats.dataDir, runId);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, JOB_FILES.state), JSON.stringify({ completed: [] }));
    await fs.writeFile(path.join(dir, JOB_FILES.searchCheckpoint), 'checkpoint');
    await finishSearch(dir);
    const artifacts = new RunArtifacts(dyingStore(store, writes), runId, dir, sink, []);
    artifacts.sync();
    await artifacts.flush().catch(() => undefined);
    const stored = await storedState(store, runId);
    if (stored.completed.includes('search')) assert.ok(stored.outputs, `${writes} writes: state stored before outputs`);
  }
});

test('a state the engine writes while a scan uploads is stored by the next scan, after its stage outputs', async () => {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  const runId = 'run-race';
  const dir = path.join(nats.dataDir, runId);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, JOB_FILES.state), JSON.stringify({ completed: [] }));
  await fs.writeFile(path.join(dir, JOB_FILES.searchCheckpoint), 'checkpoint');
  // The engine finishes the search while the first scan is storing the checkpoint.
  let finishing: Promise<void> | undefined;
  const racing = new Proxy(store, {
    get: (target, name, receiver) =>
      name === 'put'
        ? async (...args: Parameters<ObjectStore['put']>) => {
            finishing ??= finishSearch(dir);
            await finishing;
            return target.put(...args);
          }
        : Reflect.get(target, name, receiver),
  });
  const artifacts = new RunArtifacts(racing, runId, dir, sink);
  artifacts.sync();
  await artifacts.flush();
  const afterFirst = await storedState(store, runId);
  assert.ok(!afterFirst.completed.includes('search') || afterFirst.outputs, 'no state ahead of its outputs');
  artifacts.sync();
  await artifacts.flush();
  assert.deepEqual(await storedState(store, runId), { completed: ['search'], outputs: true });
});

test('a file of several chunks is stored whole, with the digest of its bytes', async () => {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  const runId = 'run-chunks';
  const dir = path.join(nats.dataDir, runId);
  await fs.mkdir(dir, { recursive: true });
  // Two and a half of the store's 128 KiB chunks, which the upload hands over one per event-loop turn.
  const bytes = Uint8Array.from({ length: 320 * 1024 }, (_, i) => (i * 7 + (i >> 12)) % 251);
  await fs.writeFile(path.join(dir, JOB_FILES.searchCheckpoint), bytes);
  const artifacts = new RunArtifacts(store, runId, dir, sink);
  artifacts.sync();
  await artifacts.flush();
  const name = `${runId}/${JOB_FILES.searchCheckpoint}`;
  assert.deepEqual(await store.getBlob(name), bytes);
  const info = await store.info(name);
  assert.equal(info?.chunks, 3);
  // nats.js writes the digest in padded base64url: 32 bytes take one '='.
  assert.equal(info?.digest, `SHA-256=${createHash('sha256').update(bytes).digest('base64url')}=`);
});
