import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { natsLogin, useNatsServer } from '@lrnas/local/test-nats';
import {
  ARTIFACTS_BUCKET,
  CANCELS_BUCKET,
  cancelSubject,
  jobCodec,
  jobSubject,
  type Genotype,
  type JobInput,
  type RunEvent,
} from '@lrnas/schema';
import { startWorker, type WorkerHandle } from '../src/index.js';
import { finished, jobsSettled, watchRunEvents } from '@lrnas/test-kit/run-events';
import { jobMessageOptions } from './support/job-messages.js';
import { tinyPipelineJob } from '@lrnas/test-kit/tiny-jobs';

const nats = useNatsServer('lrnas-worker-jobs-', { topology: true });
const workDirOf = (id: string) => path.join(nats.dataDir, 'work', id);

const pipelineJob = (runId: string, searchEpochs = 2) => tinyPipelineJob(runId, { searchEpochs });

const shared = (runId: string) => ({
  v: 1 as const,
  runId,
  experimentId: 'exp-1',
  seed: 3,
  dataset: { name: 'mnist' as const, trainLimit: 48, testLimit: 12 },
  createdAt: new Date().toISOString(),
});

async function publishJob(job: JobInput): Promise<void> {
  const encoded = jobCodec.encode(jobCodec.parse(job));
  await nats.nc.jetstream().publish(jobSubject(job.kind), encoded, jobMessageOptions(job.runId));
}

/** Names of the objects the artifact store holds for a run. */
async function storedNames(runId: string): Promise<string[]> {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  return (await store.list())
    .filter((o) => !o.deleted && o.name.startsWith(`${runId}/`))
    .map((o) => o.name)
    .sort();
}

/** Runs a job on a fresh worker and returns its events once it ended. */
async function runToEnd(job: JobInput, workerId: string, ms = 100_000): Promise<RunEvent[]> {
  let events: RunEvent[] = [];
  await withWorker(workerId, async () => {
    const watch = watchEvents(job.runId);
    await publishJob(job);
    await watch.until(finished, ms);
    watch.stop();
    events = watch.events;
  });
  return events;
}

const lastStatus = (events: RunEvent[]) => events.filter((e) => e.type === 'status').at(-1);

const watchEvents = (runId: string) => watchRunEvents(nats.nc, runId);

async function readJson(runId: string, name: string): Promise<unknown> {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  const data = await store.getBlob(`${runId}/${name}`);
  assert.ok(data, `${runId}/${name} is stored`);
  return JSON.parse(new TextDecoder().decode(data));
}

async function withWorker(
  id: string,
  body: (worker: WorkerHandle) => Promise<void>,
  log: (line: string) => void = () => {},
): Promise<void> {
  const worker = await startWorker(
    {
      natsUrl: nats.server.url,
      natsLogin: natsLogin(nats.server, 'worker'),
      workerId: id,
      concurrency: 1,
      dataDir: nats.dataDir,
      workDir: workDirOf(id),
      metricsPort: 0,
    },
    log,
    { heartbeatMs: 1000 },
  );
  try {
    await body(worker);
  } finally {
    await worker.stop();
  }
}

test('a pipeline job runs to the end once, however often it is published', { timeout: 120_000 }, async () => {
  await withWorker('w-run', async (worker) => {
    const watch = watchEvents('run-a');
    const js = nats.nc.jetstream();
    const job = jobCodec.encode(jobCodec.parse(pipelineJob('run-a')));
    const first = await js.publish(jobSubject('pipeline'), job, jobMessageOptions('run-a'));
    const second = await js.publish(jobSubject('pipeline'), job, jobMessageOptions('run-a'));
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    await watch.until(finished, 100_000);
    watch.stop();
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
    // Each phase's first count goes out at once, so every phase of the pipeline shows, in order.
    const progress = events.flatMap((e) => (e.type === 'progress' ? [e] : []));
    const phases = progress.map((p) => `${p.stage}/${p.phase}`).filter((p, i, all) => p !== all[i - 1]);
    // Epoch 0 is the warm-up: only the last epoch estimates contributions.
    assert.deepEqual(phases, ['search/search', 'search/estimate', 'train/train', 'evaluate/attack']);
    assert.ok(progress.every((p) => p.done <= p.total));
    const final = events.filter((e) => e.type === 'genotype' && e.final);
    assert.equal(final.length, 1);
    assert.ok(final[0]?.type === 'genotype' && final[0].flops! > 0, 'the architecture comes with its FLOPs');
    const evaluation = events.find((e) => e.type === 'evaluation');
    assert.ok(evaluation && evaluation.type === 'evaluation');
    assert.equal(evaluation.attack.name, 'fgsm');
    assert.equal(evaluation.examples, 12);
    await jobsSettled(nats.nc);

    // Checkpoints and results are in the artifact store, and the gateway was told of them.
    assert.deepEqual(await storedNames('run-a'), [
      'run-a/alphas.json',
      'run-a/evaluation.json',
      'run-a/genotype.json',
      'run-a/model/model.json',
      'run-a/model/weights.bin',
      'run-a/pipeline.json',
      'run-a/report.json',
      'run-a/search-history.json',
      'run-a/search.ckpt',
      'run-a/train.ckpt',
    ]);
    const artifacts = events.flatMap((e) => (e.type === 'artifact' ? [`${e.kind} ${e.stage} ${e.name}`] : []));
    for (const expected of [
      'checkpoint search run-a/search.ckpt',
      'checkpoint train run-a/train.ckpt',
      'genotype select run-a/genotype.json',
      'weights train run-a/model/model.json',
      'report evaluate run-a/report.json',
    ]) {
      assert.ok(artifacts.includes(expected), `${expected} in ${artifacts.join('; ')}`);
    }
    // Prometheus saw the job, its epochs and its attack.
    const health = await fetch(`${worker.metricsUrl}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    const sample = (name: string, labels: Record<string, string>) => {
      const wanted = Object.entries({ ...labels, worker: 'w-run' }).map(([k, v]) => `${k}="${v}"`);
      const line = metrics.split('\n').find((l) => {
        const match = /^(\w+)\{(.*)\} /.exec(l);
        return match?.[1] === name && [...wanted].sort().join(',') === match[2]!.split(',').sort().join(',');
      });
      return Number(line?.split(' ').at(-1));
    };
    assert.equal(sample('lrnas_worker_jobs_total', { kind: 'pipeline', outcome: 'succeeded' }), 1);
    assert.equal(sample('lrnas_worker_running_jobs', {}), 0);
    assert.equal(sample('lrnas_worker_epoch_seconds_count', { stage: 'search' }), 2);
    assert.equal(sample('lrnas_worker_epoch_seconds_count', { stage: 'train' }), 1);
    assert.equal(sample('lrnas_worker_attack_seconds_count', { attack: 'fgsm' }), 1);
    assert.match(metrics, /^process_cpu_seconds_total\{worker="w-run"\} /m);
    assert.ok(
      events.findIndex((e) => e.type === 'artifact' && e.kind === 'report') <
        events.findIndex((e) => e.type === 'status' && e.status === 'SUCCEEDED'),
      'results are stored before the run is reported SUCCEEDED',
    );
  });
});

test('a search job searches, selects and stores its genotype', { timeout: 120_000 }, async () => {
  const pipeline = pipelineJob('run-s');
  const events = await runToEnd(
    { ...shared('run-s'), kind: 'search', search: pipeline.search, selection: pipeline.selection },
    'w-search',
  );
  assert.equal(lastStatus(events)?.type === 'status' && lastStatus(events)?.status, 'SUCCEEDED');
  const final = events.filter((e) => e.type === 'genotype' && e.final);
  assert.equal(final.length, 1);
  assert.ok(final[0]?.type === 'genotype' && final[0].params <= pipeline.selection.budget!);
  assert.deepEqual(await storedNames('run-s'), [
    'run-s/alphas.json',
    'run-s/genotype.json',
    'run-s/search-history.json',
    'run-s/search.ckpt',
  ]);
});

test('a train job stores TF.js weights, which an evaluate job then attacks', { timeout: 180_000 }, async () => {
  const found = (await readJson('run-a', 'genotype.json')) as { genotype: Genotype };
  const trained = await runToEnd(
    {
      ...shared('run-t'),
      kind: 'train',
      genotype: found.genotype,
      train: { method: 'madry', channels: 4, layers: 3, epochs: 1, batchSize: 12 },
    },
    'w-train',
  );
  assert.equal(lastStatus(trained)?.type === 'status' && lastStatus(trained)?.status, 'SUCCEEDED');
  assert.ok(trained.some((e) => e.type === 'genotype' && e.stage === 'train' && e.final));
  assert.ok(trained.some((e) => e.type === 'epoch' && e.stage === 'train'));
  const weights = trained.find((e) => e.type === 'artifact' && e.kind === 'weights');
  assert.ok(weights?.type === 'artifact');
  assert.equal(weights.name, 'run-t/model/model.json');
  const model = (await readJson('run-t', 'model/model.json')) as { weightsManifest: unknown[] };
  assert.equal(model.weightsManifest.length, 1, 'TF.js layout: a model.json with a weights manifest');

  const attacked = await runToEnd(
    {
      ...shared('run-e'),
      kind: 'evaluate',
      sourceRunId: 'run-t',
      weights: weights.name,
      evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'pgd', steps: 2 }], examples: 12 },
    },
    'w-eval',
  );
  assert.equal(lastStatus(attacked)?.type === 'status' && lastStatus(attacked)?.status, 'SUCCEEDED');
  const evaluation = attacked.find((e) => e.type === 'evaluation');
  assert.ok(evaluation?.type === 'evaluation');
  assert.deepEqual(evaluation.attack, { name: 'pgd', steps: 2, stepSize: 0.075, restarts: 1 }, 'the settings used');
  assert.equal(evaluation.examples, 12);
  assert.ok(evaluation.robustAccuracy <= evaluation.cleanAccuracy);
  assert.deepEqual(await storedNames('run-e'), ['run-e/evaluation.json'], 'the attacked model is not copied');
});

test('an evaluate job whose weights are not stored fails at once, naming them', async () => {
  const events = await runToEnd(
    {
      ...shared('run-nw'),
      kind: 'evaluate',
      sourceRunId: 'run-gone',
      weights: 'run-gone/model/model.json',
      evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }] },
    },
    'w-nw',
    30_000,
  );
  const status = lastStatus(events);
  assert.ok(status?.type === 'status');
  assert.equal(status.status, 'FAILED');
  assert.equal(status.error?.code, 'NOT_FOUND');
  assert.match(status.error?.message ?? '', /run run-gone stored no model at "run-gone\/model\/"/);
  assert.equal(status.attempt, 1, 'not retried');
  await jobsSettled(nats.nc);
});

test('a corrupt stored checkpoint fails the run with a message naming it', async () => {
  const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
  await store.putBlob({ name: 'run-k/search.ckpt' }, new TextEncoder().encode('not a checkpoint'));
  const pipeline = pipelineJob('run-k');
  const events = await runToEnd(
    { ...shared('run-k'), kind: 'search', search: pipeline.search, selection: pipeline.selection },
    'w-k',
    30_000,
  );
  const status = lastStatus(events);
  assert.ok(status?.type === 'status');
  assert.equal(status.status, 'FAILED');
  assert.match(status.error?.message ?? '', /search\.ckpt/);
});

test('a job cancelled while queued is dropped unrun, CANCELLED and acked', async () => {
  // What the gateway's cancelRun records for a run whose job waits in the queue.
  const cancels = await nats.nc.jetstream().views.kv(CANCELS_BUCKET);
  await cancels.put('run-q', new TextEncoder().encode('{"v":1,"runId":"run-q","reason":"test"}'));
  const events = await runToEnd(pipelineJob('run-q'), 'w-queued', 20_000);
  assert.deepEqual(
    events.map((e) => (e.type === 'status' ? e.status : e.type)),
    ['log', 'CANCELLED'],
  );
  await jobsSettled(nats.nc);
  assert.deepEqual(await storedNames('run-q'), []);
});

test('a malformed job is terminated with a FAILED event that names the field', async () => {
  await withWorker('w-bad', async () => {
    const watch = watchEvents('run-bad');
    const bad = { ...pipelineJob('run-bad'), seed: -1 };
    await nats.nc
      .jetstream()
      .publish(jobSubject('pipeline'), new TextEncoder().encode(JSON.stringify(bad)), jobMessageOptions('run-bad'));
    await watch.until(finished, 20_000);
    watch.stop();
    const status = watch.events.find((e) => e.type === 'status');
    assert.ok(status && status.type === 'status');
    assert.equal(status.status, 'FAILED');
    assert.equal(status.error?.code, 'BAD_MESSAGE');
    assert.match(status.error?.message ?? '', /malformed job: seed/);
    await jobsSettled(nats.nc);
  });
});

test('a job without its run key is terminated unrun: its events could not be trusted', async () => {
  const lines: string[] = [];
  await withWorker(
    'w-keyless',
    async () => {
      const watch = watchEvents('run-keyless');
      await nats.nc
        .jetstream()
        .publish(jobSubject('pipeline'), jobCodec.encode(jobCodec.parse(pipelineJob('run-keyless'))), {
          msgID: 'run-keyless',
        });
      await jobsSettled(nats.nc);
      await nats.nc.flush();
      watch.stop();
      assert.deepEqual(watch.events, [], 'no event was published for the run');
      assert.deepEqual(await storedNames('run-keyless'), []);
    },
    (line) => lines.push(line),
  );
  assert.ok(
    lines.some((l) => l.includes('run-keyless') && /no event key/.test(l) && /terminated/.test(l)),
    lines.join('\n'),
  );
});

test('a cancel request stops a running job, which ends CANCELLED and is acked', { timeout: 120_000 }, async () => {
  await withWorker('w-cancel', async (worker) => {
    const watch = watchEvents('run-c');
    await nats.nc
      .jetstream()
      .publish(
        jobSubject('pipeline'),
        jobCodec.encode(jobCodec.parse(pipelineJob('run-c', 50))),
        jobMessageOptions('run-c'),
      );
    await watch.until((events) => events.some((e) => e.type === 'metric'), 60_000);
    assert.deepEqual([...worker.running], ['run-c']);
    nats.nc.publish(cancelSubject('run-c'), new TextEncoder().encode('{}'));
    await watch.until(finished, 30_000);
    watch.stop();
    const last = watch.events.filter((e) => e.type === 'status').at(-1);
    assert.equal(last?.type === 'status' && last.status, 'CANCELLED');
    assert.ok(
      !watch.events.some((e) => e.type === 'epoch' && e.epoch >= 10),
      'stopped long before the end of the search',
    );
    await jobsSettled(nats.nc);
    assert.equal(fs.existsSync(path.join(nats.dataDir, 'work', 'w-cancel', 'run-c')), false, 'work folder removed');
  });
});

for (const phase of ['estimate', 'attack'] as const) {
  test(
    `a cancel during ${phase === 'estimate' ? 'contribution estimation' : 'an attack'} stops the run there`,
    { timeout: 180_000 },
    async (t) => {
      const runId = `run-cancel-${phase}`;
      const job = tinyPipelineJob(runId);
      // Long enough that the phase is still running when the cancel arrives: more masks, or more examples and steps.
      if (phase === 'estimate') Object.assign(job.search!, { permutations: 12, estimateBatchSize: 12 });
      else {
        job.dataset = { ...job.dataset, testLimit: 120 };
        job.evaluate = { ...job.evaluate!, attacks: [{ name: 'pgd', steps: 40 }], examples: 120 };
      }
      await withWorker(`w-cancel-${phase}`, async () => {
        const watch = watchEvents(runId);
        await publishJob(job);
        await watch.until((events) => events.some((e) => e.type === 'progress' && e.phase === phase), 150_000);
        const cancelledAt = Date.now();
        nats.nc.publish(cancelSubject(runId), new TextEncoder().encode('{}'));
        await watch.until(finished, 60_000);
        watch.stop();
        t.diagnostic(`cancel to CANCELLED during ${phase}: ${Date.now() - cancelledAt} ms`);
        assert.equal(lastStatus(watch.events)?.type === 'status' && lastStatus(watch.events)?.status, 'CANCELLED');
        // The phase never finished: no contributions (a snapshot) or no evaluation came out of it.
        const outcome = phase === 'estimate' ? 'snapshot' : 'evaluation';
        assert.ok(!watch.events.some((e) => e.type === outcome), `no ${outcome} after the cancel`);
        await jobsSettled(nats.nc);
      });
    },
  );
}
