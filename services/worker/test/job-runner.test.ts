import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Subscription } from 'nats';
import { useNatsServer } from '../../../infra/local/lib/test-nats.mjs';
import {
  cancelSubject,
  EVENTS_SUBJECT_PREFIX,
  eventCodec,
  jobCodec,
  JOBS_CONSUMER,
  JOBS_STREAM,
  jobSubject,
  type JobInput,
  type RunEvent,
} from '@lrnas/schema';
import { minimumParameters } from '@lrnas/engine';
import { startWorker, type WorkerHandle } from '../src/index.js';

const nats = useNatsServer('lrnas-worker-jobs-');

/** A pipeline small enough to finish in seconds: C=4, 3 layers, 48 MNIST images, one FGSM evaluation. */
function pipelineJob(runId: string, searchEpochs = 2): JobInput {
  return {
    v: 1,
    kind: 'pipeline',
    runId,
    experimentId: 'exp-1',
    seed: 3,
    dataset: { name: 'mnist', trainLimit: 48, testLimit: 12 },
    createdAt: new Date().toISOString(),
    search: {
      preset: 'tiny',
      channels: 4,
      layers: 3,
      epochs: searchEpochs,
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
    train: { method: 'madry', channels: 4, layers: 3, epochs: 1, batchSize: 12 },
    evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }], examples: 12 },
  };
}

/** Collects the decoded events of a run, as the gateway would read them. */
function watchEvents(runId: string): {
  events: RunEvent[];
  sub: Subscription;
  until(done: (e: RunEvent[]) => boolean, ms: number): Promise<void>;
} {
  const events: RunEvent[] = [];
  const sub = nats.nc.subscribe(`${EVENTS_SUBJECT_PREFIX}.${runId}.>`, {
    callback: (_err, msg) => events.push(eventCodec.decode(msg.data)),
  });
  return {
    events,
    sub,
    until: async (done, ms) => {
      const deadline = Date.now() + ms;
      while (!done(events)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; events so far: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

const finished = (events: RunEvent[]) =>
  events.some((e) => e.type === 'status' && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status));

async function withWorker(id: string, body: (worker: WorkerHandle) => Promise<void>): Promise<void> {
  const worker = await startWorker(
    { natsUrl: nats.server.url, workerId: id, concurrency: 1, dataDir: nats.dataDir },
    () => {},
    { workDir: path.join(nats.dataDir, 'work', id), heartbeatMs: 1000 },
  );
  try {
    await body(worker);
  } finally {
    await worker.stop();
  }
}

/** Jobs waiting for a worker or delivered and not yet settled (a termed job counts as settled). */
async function pendingJobs(): Promise<number> {
  const jsm = await nats.nc.jetstreamManager();
  const info = await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER);
  return info.num_pending + info.num_ack_pending;
}

test('a pipeline job runs to the end once, however often it is published', { timeout: 120_000 }, async () => {
  await withWorker('w-run', async () => {
    const watch = watchEvents('run-a');
    const js = nats.nc.jetstream();
    const job = jobCodec.encode(jobCodec.parse(pipelineJob('run-a')));
    const first = await js.publish(jobSubject('pipeline'), job, { msgID: 'run-a' });
    const second = await js.publish(jobSubject('pipeline'), job, { msgID: 'run-a' });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    await watch.until(finished, 100_000);
    // The ack follows the final events; give it a moment to reach the server.
    await new Promise((r) => setTimeout(r, 300));
    watch.sub.unsubscribe();
    const { events } = watch;

    const statuses = events.filter((e) => e.type === 'status');
    assert.equal(statuses.at(-1)?.status, 'SUCCEEDED', JSON.stringify(statuses.at(-1)));
    assert.deepEqual(
      statuses.filter((s) => s.stage).map((s) => s.stage),
      ['search', 'select', 'train', 'evaluate'],
    );
    assert.ok(
      statuses.every((s) => s.attempt === 1),
      'one delivery',
    );
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i),
      'sequence rises by one per event',
    );
    const points = events.flatMap((e) => (e.type === 'metric' ? e.points : []));
    const searchSteps = new Set(points.filter((p) => p.key === 'search/loss').map((p) => p.step));
    assert.equal(searchSteps.size, 4, 'two epochs of two steps (24 training images, batch 12)');
    assert.ok(points.some((p) => p.key === 'train/loss'));
    assert.ok(events.filter((e) => e.type === 'metric').length < points.length / 3, 'points are batched');
    assert.deepEqual(
      events.filter((e) => e.type === 'epoch').map((e) => `${e.stage}${e.epoch}`),
      ['search0', 'search1', 'train0'],
    );
    assert.ok(events.some((e) => e.type === 'snapshot'));
    const final = events.filter((e) => e.type === 'genotype' && e.final);
    assert.equal(final.length, 1);
    const evaluation = events.find((e) => e.type === 'evaluation');
    assert.ok(evaluation && evaluation.type === 'evaluation');
    assert.equal(evaluation.attack.name, 'fgsm');
    assert.equal(evaluation.examples, 12);
    assert.equal(await pendingJobs(), 0, 'the job was acked');
  });
});

test('a malformed job is terminated with a FAILED event that names the field', async () => {
  await withWorker('w-bad', async () => {
    const watch = watchEvents('run-bad');
    const bad = { ...pipelineJob('run-bad'), seed: -1 };
    await nats.nc
      .jetstream()
      .publish(jobSubject('pipeline'), new TextEncoder().encode(JSON.stringify(bad)), { msgID: 'run-bad' });
    await watch.until(finished, 20_000);
    watch.sub.unsubscribe();
    const status = watch.events.find((e) => e.type === 'status');
    assert.ok(status && status.type === 'status');
    assert.equal(status.status, 'FAILED');
    assert.equal(status.error?.code, 'BAD_MESSAGE');
    assert.match(status.error?.message ?? '', /malformed job: seed/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await pendingJobs(), 0, 'the job was terminated, not redelivered');
  });
});

test('a cancel request stops a running job, which ends CANCELLED and is acked', { timeout: 120_000 }, async () => {
  await withWorker('w-cancel', async (worker) => {
    const watch = watchEvents('run-c');
    await nats.nc
      .jetstream()
      .publish(jobSubject('pipeline'), jobCodec.encode(jobCodec.parse(pipelineJob('run-c', 50))), { msgID: 'run-c' });
    await watch.until((events) => events.some((e) => e.type === 'metric'), 60_000);
    assert.deepEqual([...worker.running], ['run-c']);
    nats.nc.publish(cancelSubject('run-c'), new TextEncoder().encode('{}'));
    await watch.until(finished, 30_000);
    watch.sub.unsubscribe();
    const last = watch.events.filter((e) => e.type === 'status').at(-1);
    assert.equal(last?.type === 'status' && last.status, 'CANCELLED');
    assert.ok(
      !watch.events.some((e) => e.type === 'epoch' && e.epoch >= 10),
      'stopped long before the end of the search',
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await pendingJobs(), 0);
    assert.equal(fs.existsSync(path.join(nats.dataDir, 'work', 'w-cancel', 'run-c')), false, 'work folder removed');
  });
});
