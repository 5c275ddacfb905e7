import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { after, test } from 'node:test';
import { ErrorCode, LrnasError, jobCodec, type JobInput } from '@lrnas/schema';
import { minimumParameters } from '../search/selection.js';
import { runJobOffThread } from './job-thread.js';
import type { JobEvent } from './stages.js';

const dirs: string[] = [];
const workDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-job-thread-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A search small enough for seconds: C=4, 3 layers, 24 MNIST images, one epoch after the warm-up. */
const searchJob = (): JobInput => ({
  v: 1,
  kind: 'search',
  runId: 'run-thread',
  experimentId: 'exp-1',
  seed: 5,
  dataset: { name: 'mnist', trainLimit: 48, testLimit: 12 },
  createdAt: new Date().toISOString(),
  search: {
    preset: 'tiny',
    channels: 4,
    layers: 3,
    epochs: 2,
    warmupEpochs: 1,
    batchSize: 12,
    permutations: 1,
    estimateBatchSize: 6,
  },
  selection: {
    budget: minimumParameters({ channels: 4, layers: 3, classes: 10, inputChannels: 1 }) + 2500,
    channels: 4,
    layers: 3,
  },
});

// No time limits: the job's thread runs below every thread of normal priority (parallel/thread-priority.ts), so on a
// busy machine it gets a small share of a core and a search of seconds takes minutes (a 120 s limit failed this file
// beside a process at a higher priority, with the thread on a CPU 6 % of the time). What is checked is its events
// and its end, not its speed.
test('a job run off the main thread sends its events in order and ends as on it', async () => {
  assert.ok(isMainThread);
  const events: JobEvent[] = [];
  const status = await runJobOffThread(jobCodec.parse(searchJob()), {
    dataDir: workDir(),
    workDir: workDir(),
    backend: 'wasm',
    onEvent: (event) => events.push(event),
  });
  assert.equal(status, 'completed');
  assert.equal(events[0]?.type, 'network');
  const steps = events.flatMap((e) => (e.type === 'search' && e.event.type === 'step' ? [e.event.step] : []));
  assert.deepEqual(steps, [1, 2, 3, 4], 'every step, in order');
  assert.ok(
    events.some((e) => e.type === 'selection'),
    'the search ends with its selection',
  );
});

test('a stop between batches ends the job as cancelled', async () => {
  const stop = new AbortController();
  const status = await runJobOffThread(jobCodec.parse(searchJob()), {
    dataDir: workDir(),
    workDir: workDir(),
    backend: 'wasm',
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === 'search' && event.event.type === 'step') stop.abort();
    },
  });
  assert.equal(status, 'cancelled');
});

test("the thread's LrnasError comes back with its code, so a caller can tell it from a crash", async () => {
  const evaluate: JobInput = {
    v: 1,
    kind: 'evaluate',
    runId: 'run-eval',
    experimentId: 'exp-1',
    seed: 1,
    dataset: { name: 'mnist', testLimit: 12 },
    createdAt: new Date().toISOString(),
    sourceRunId: 'run-trained',
    weights: 'run-trained/model/model.json',
    evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }], examples: 12 },
  };
  const missing = path.join(workDir(), 'no-model-here');
  await assert.rejects(
    runJobOffThread(jobCodec.parse(evaluate), {
      dataDir: workDir(),
      workDir: workDir(),
      modelDir: missing,
      backend: 'wasm',
    }),
    (error: unknown) => {
      assert.ok(error instanceof LrnasError, String(error));
      assert.ok(([ErrorCode.NOT_FOUND, ErrorCode.BAD_INPUT] as string[]).includes(error.code), error.code);
      return true;
    },
  );
});
