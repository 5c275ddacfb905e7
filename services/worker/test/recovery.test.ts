import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { jobCodec, JOBS_CONSUMER, JOBS_STREAM, jobSubject, type RunEvent } from '@lrnas/schema';
import { ensureTopology } from '@lrnas/schema/nats';
import { natsLoginFlags, useNatsServer } from '@lrnas/local/test-nats';
import { finished, jobsSettled, watchRunEvents } from '@lrnas/test-kit/run-events';
import { jobMessageOptions } from './support/job-messages.js';
import { tinyPipelineJob } from '@lrnas/test-kit/tiny-jobs';
import { spawnWorkerProcess, tailOf, type WorkerProcess } from '@lrnas/test-kit/worker-process';

// Workers run as real processes here, so that SIGKILL and SIGTERM are the real thing.
const nats = useNatsServer('lrnas-worker-recovery-', { topology: true });
/** Short, so that a killed worker's job is redelivered within seconds (heartbeats every 3.75 s), yet long
 * enough that a worker starved of CPU by tests running beside it does not lose its job to a timeout. */
const ACK_WAIT_NS = 15_000_000_000;

/** The contract's topology with a short AckWait, which workers keep (operators tune it). */
async function shortAckWait(): Promise<void> {
  const jsm = await nats.nc.jetstreamManager();
  await ensureTopology(jsm);
  await jsm.consumers.update(JOBS_STREAM, JOBS_CONSUMER, { ack_wait: ACK_WAIT_NS });
}

/** A pipeline with a search long enough to be interrupted: 4 epochs of 4 steps, then 8 training steps. */
const job = (runId: string) => tinyPipelineJob(runId, { seed: 5, trainLimit: 96, searchEpochs: 4, trainEpochs: 1 });

function spawnWorker(id: string): WorkerProcess {
  return spawnWorkerProcess([
    ...[
      '--nats-url',
      nats.server.url,
      ...natsLoginFlags(nats.server, 'worker'),
      '--id',
      id,
      '--data-dir',
      nats.dataDir,
    ],
    ...['--work-dir', path.join(nats.dataDir, 'work', id), '--metrics-port', '0'],
  ]);
}

const searchCheckpointStored = (events: RunEvent[]) =>
  events.some((e) => e.type === 'artifact' && e.kind === 'checkpoint' && e.stage === 'search');

/** Steps of a metric key in stream order, over every attempt. */
const stepsOf = (events: RunEvent[], key: string) =>
  events.flatMap((e) => (e.type === 'metric' ? e.points.filter((p) => p.key === key).map((p) => p.step) : []));

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Where the second attempt's search picked up, from its log. */
function resumedAt(events: RunEvent[]): number {
  const log = events.find((e) => e.type === 'log' && e.attempt === 2 && /^search resumed/.test(e.message));
  assert.ok(log?.type === 'log', 'the second attempt resumed the search from a checkpoint');
  return Number(/at step (\d+)/.exec(log.message)?.[1]);
}

/** The whole run is in the stream once: every step and epoch summary exactly once, and it succeeded. */
function assertCompleteOnce(events: RunEvent[]): void {
  const last = events.filter((e) => e.type === 'status').at(-1);
  assert.ok(last?.type === 'status' && last.status === 'SUCCEEDED', JSON.stringify(last));
  const logs = events.flatMap((e) => (e.type === 'log' ? [`attempt ${e.attempt} ${e.level}: ${e.message}`] : []));
  assert.equal(last.attempt, 2, `finished by the second delivery; logs:\n${logs.join('\n')}`);
  assert.deepEqual(stepsOf(events, 'search/loss'), range(16), 'search steps 1..16, each once, in order');
  assert.deepEqual(stepsOf(events, 'search/accuracy'), range(16));
  assert.deepEqual(stepsOf(events, 'train/loss'), range(8), 'training steps 1..8, each once');
  const epochs = events.flatMap((e) => (e.type === 'epoch' ? [`${e.stage}${e.epoch}`] : []));
  assert.deepEqual(epochs, ['search0', 'search1', 'search2', 'search3', 'train0']);
  assert.equal(events.filter((e) => e.type === 'genotype' && e.final).length, 1);
  assert.equal(events.filter((e) => e.type === 'evaluation').length, 1);
  for (const attempt of [1, 2]) {
    const seqs = events.filter((e) => e.attempt === attempt).map((e) => e.seq);
    assert.deepEqual(
      seqs,
      range(seqs.length).map((i) => i - 1),
      `attempt ${attempt}: sequence 0, 1, 2...`,
    );
  }
}

test(
  'after SIGKILL mid-search another worker finishes the run from the last stored checkpoint',
  {
    timeout: 300_000,
  },
  async () => {
    await shortAckWait();
    const run = watchRunEvents(nats.nc, 'run-kill');
    const first = spawnWorker('w-doomed');
    let second: WorkerProcess | undefined;
    try {
      await nats.nc
        .jetstream()
        .publish(
          jobSubject('pipeline'),
          jobCodec.encode(jobCodec.parse(job('run-kill'))),
          jobMessageOptions('run-kill'),
        );
      await run.until(searchCheckpointStored, 120_000, () => tailOf([first]));
      first.child.kill('SIGKILL');
      await first.exited;
      const reportedByFirst = Math.max(0, ...stepsOf(run.events, 'search/loss'));

      second = spawnWorker('w-heir');
      await run.until(finished, 240_000, () => tailOf([first, second!]));
      assertCompleteOnce(run.events);
      const resumed = resumedAt(run.events);
      assert.ok(resumed > 4, `resumed after the first epoch (step ${resumed}), not from the start`);
      assert.ok(resumed <= reportedByFirst + 1, 'no step was skipped');
      await jobsSettled(nats.nc);
    } finally {
      run.stop();
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
    }
  },
);

test(
  'on SIGTERM a worker checkpoints, hands the job back and exits; the next worker loses no step',
  {
    timeout: 300_000,
  },
  async () => {
    await shortAckWait();
    const run = watchRunEvents(nats.nc, 'run-term');
    const first = spawnWorker('w-leaving');
    let second: WorkerProcess | undefined;
    try {
      await nats.nc
        .jetstream()
        .publish(
          jobSubject('pipeline'),
          jobCodec.encode(jobCodec.parse(job('run-term'))),
          jobMessageOptions('run-term'),
        );
      await run.until(searchCheckpointStored, 120_000, () => tailOf([first]));
      first.child.kill('SIGTERM');
      const exit = await first.exited;
      assert.deepEqual(exit, { code: 0, signal: null }, first.output.join('').slice(-2000));
      assert.ok(
        run.events.some((e) => e.type === 'log' && /stopped; job handed back/.test(e.message)),
        'the first worker said it handed the job back',
      );
      const reportedByFirst = Math.max(...stepsOf(run.events, 'search/loss'));

      second = spawnWorker('w-successor');
      await run.until(finished, 240_000, () => tailOf([second!]));
      assertCompleteOnce(run.events);
      assert.equal(resumedAt(run.events), reportedByFirst + 1, 'resumed at the very next step');
    } finally {
      run.stop();
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
    }
  },
);
