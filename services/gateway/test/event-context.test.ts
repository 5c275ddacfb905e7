// Events are accepted only in the context that produced them (src/domain/event-admission.ts),
// against a real nats-server and SQLite. The events are published with the admin login, as any
// worker login could: a stray or stale worker, or a forged event, must change nothing stored.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventCodec, eventSubject, genotypeHash } from '@lrnas/schema';
import { connect, type NatsConnection } from 'nats';
import { loginOptions } from '@lrnas/schema/nats';
import { newEventKey } from '@lrnas/schema/node';
import { natsLogin, useNatsServer } from '@lrnas/local/test-nats';
import type { GatewayHandle } from '../src/gateway.js';
import {
  Architecture,
  Artifact,
  Evaluation,
  MetricPoint,
  Run,
  RunKind,
  RunStatusChange,
} from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';
import { eventsDrained, publishSignedEvent } from './support/signed-events.js';
import { GENOTYPES } from '@lrnas/test-kit/graphql';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-gateway-event-context-');
let gateway: GatewayHandle;
const lines: string[] = [];

type Draft = Record<string, unknown> & { runId: string; type: string };
let clock = 0;
/** Publishes an event as a worker login could, with a fresh time (the contract's validation applies). */
async function publish(
  event: Draft,
  as: { nc: NatsConnection; key: string } = { nc: nats.nc, key: '' },
): Promise<void> {
  const time = new Date(Date.UTC(2026, 11, 1, 0, 0, clock++)).toISOString();
  await publishSignedEvent(as.nc, gateway.db.orm, { v: 1, time, ...event }, as.key || undefined);
}

/** Waits until the gateway has settled every event of the stream (stored, refused or dropped). */
const drained = (): Promise<void> => eventsDrained(nats.nc);

async function refusedCount(reason: string): Promise<number> {
  const text = await (await fetch(`${gateway.metricsUrl!}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`lrnas_events_refused_total{reason="${reason}"} `));
  return Number(line?.split(' ')[1] ?? NaN);
}

/** Everything stored about a run: its row and every row that hangs off it. */
async function stored(runId: string): Promise<unknown> {
  const em = gateway.db.orm.em.fork();
  const run = await em.findOneOrFail(Run, runId, { populate: ['architecture'] });
  const { experiment: _e, parent: _p, architecture, ...row } = run;
  return {
    row: { ...row, architecture: architecture?.hash ?? null },
    points: (await em.find(MetricPoint, { run: runId }, { orderBy: { key: 'asc', step: 'asc' } })).map((p) => [
      p.key,
      p.step,
      p.value,
    ]),
    history: (await em.find(RunStatusChange, { run: runId }, { orderBy: { id: 'asc' } })).map((h) => [
      h.status,
      h.attempt,
    ]),
    evaluations: (await em.find(Evaluation, { run: runId })).map((e) => [e.attack, e.robustAccuracy]),
    artifacts: (await em.find(Artifact, { run: runId })).map((a) => a.name),
  };
}

const evaluation = (runId: string, attempt: number, seq: number, robustAccuracy: number): Draft => ({
  runId,
  attempt,
  seq,
  type: 'evaluation',
  attack: { name: 'fgsm' },
  threatModel: { norm: 'linf', epsilon: 0.3 },
  examples: 100,
  seed: 1,
  cleanAccuracy: 0.99,
  robustAccuracy,
  backend: 'cpu',
  engineVersion: '0.1.0',
});
const genotype = (runId: string, attempt: number, seq: number, which: keyof typeof GENOTYPES): Draft => ({
  runId,
  attempt,
  seq,
  type: 'genotype',
  stage: 'select',
  genotype: GENOTYPES[which],
  network: { channels: 16, layers: 8, classes: 10, inputChannels: 1, imageSize: 28 },
  params: 1000,
  final: true,
});
const status = (runId: string, attempt: number, seq: number, value: string, workerId?: string): Draft => ({
  runId,
  attempt,
  seq,
  type: 'status',
  status: value,
  ...(workerId ? { workerId } : {}),
});
const metric = (runId: string, attempt: number, seq: number, steps: number[], value = 1): Draft => ({
  runId,
  attempt,
  seq,
  type: 'metric',
  points: steps.map((step) => ({ key: 'search/loss', step, value })),
});

describe('event context', () => {
  before(async () => {
    gateway = await startTestGateway(
      nats.server,
      { kind: 'sqlite', file: path.join(nats.dataDir, 'context.sqlite') },
      {
        metrics: { port: 0 },
        // An event of an attempt never seen starting is refused after 2 hand-backs, not 150.
        unstartedEventDeferrals: 2,
      },
      (line) => lines.push(line),
    );
  });
  after(async () => {
    await gateway?.stop();
  });

  test('a forged evaluation for another run that finished is refused and nothing stored changes', async () => {
    const { run } = await createRunFixture(gateway.db.orm.em.fork(), 'ctx-done', { kind: RunKind.PIPELINE });
    await publish(status(run.id, 1, 0, 'RUNNING', 'w-a'));
    await publish(metric(run.id, 1, 1, [0, 1]));
    await publish(genotype(run.id, 1, 2, 'LRNAS_C10'));
    await publish(evaluation(run.id, 1, 3, 0.4));
    await publish(status(run.id, 1, 4, 'SUCCEEDED', 'w-a'));
    await drained();
    const before = await stored(run.id);
    const terminal = await refusedCount('terminal');
    const stale = await refusedCount('stale_attempt');

    // A better result, a new architecture and points, as the same attempt after its end, as a new
    // attempt, and as an older one.
    await publish(evaluation(run.id, 1, 5, 0.99));
    await publish(genotype(run.id, 1, 6, 'DARTS_V2'));
    await publish(metric(run.id, 1, 7, [0, 1, 2], 0));
    await publish(status(run.id, 2, 0, 'RUNNING', 'w-forger'));
    await publish(evaluation(run.id, 2, 1, 0.98));
    await drained();

    assert.deepEqual(await stored(run.id), before, 'nothing stored about the run changed');
    assert.equal(await refusedCount('terminal'), terminal + 5);
    assert.equal(await refusedCount('stale_attempt'), stale);
    assert.equal(
      await gateway.db.orm.em.fork().count(Architecture, { hash: genotypeHash(GENOTYPES.DARTS_V2) }),
      0,
      'the forged genotype made no architecture',
    );
    assert.ok(
      lines.some((l) => l.includes(`of run ${run.id} (terminal)`) && l.includes('nothing stored')),
      'a log line names the run and the reason',
    );
  });

  test("a stale worker's events (its job went to another worker) are refused; the current attempt's are stored", async () => {
    const { run } = await createRunFixture(gateway.db.orm.em.fork(), 'ctx-stale', { kind: RunKind.PIPELINE });
    const stale = await refusedCount('stale_attempt');
    const mismatch = await refusedCount('worker_mismatch');
    await publish(status(run.id, 1, 0, 'RUNNING', 'w-old'));
    await publish(metric(run.id, 1, 1, [0, 1], 1));
    // A redelivery comes an AckWait after the first attempt's events, which are stored by then (in one
    // batch with the new attempt's RUNNING they would be refused as stale, as after it).
    await drained();
    await publish(status(run.id, 2, 0, 'RUNNING', 'w-new')); // JetStream redelivered the job
    await publish(metric(run.id, 2, 1, [2, 3], 2));
    await drained();
    // The first worker wakes up and goes on: points, a result and an end of its own.
    await publish(metric(run.id, 1, 2, [2, 3, 4], 9));
    await publish(genotype(run.id, 1, 3, 'DARTS_V2'));
    await publish(evaluation(run.id, 1, 4, 0.99));
    await publish(status(run.id, 1, 5, 'SUCCEEDED', 'w-old'));
    // Another worker claims the current attempt.
    await publish(status(run.id, 2, 2, 'FAILED', 'w-stray'));
    await drained();

    const after = (await stored(run.id)) as { row: Run; points: unknown[]; evaluations: unknown[] };
    assert.equal(after.row.status, 'RUNNING');
    assert.equal(after.row.lastAttempt, 2);
    assert.equal(after.row.workerId, 'w-new');
    assert.deepEqual(after.points, [
      ['search/loss', 0, 1],
      ['search/loss', 1, 1],
      ['search/loss', 2, 2],
      ['search/loss', 3, 2],
    ]);
    assert.deepEqual(after.evaluations, []);
    assert.equal(after.row.architecture, null);
    assert.equal(await refusedCount('stale_attempt'), stale + 4);
    assert.equal(await refusedCount('worker_mismatch'), mismatch + 1);

    // The current attempt ends normally; its evaluation, stored after its end, still counts.
    await publish(genotype(run.id, 2, 3, 'LRNAS_C10'));
    await publish(status(run.id, 2, 5, 'SUCCEEDED', 'w-new'));
    await drained();
    await publish(evaluation(run.id, 2, 4, 0.5));
    await drained();
    const done = (await stored(run.id)) as { row: Run; evaluations: unknown[] };
    assert.equal(done.row.status, 'SUCCEEDED');
    assert.deepEqual(done.evaluations, [['fgsm', 0.5]]);
  });

  test('events for a run no attempt started are refused after waiting for its RUNNING', async () => {
    const { run } = await createRunFixture(gateway.db.orm.em.fork(), 'ctx-queued');
    const before = await stored(run.id);
    const notStarted = await refusedCount('not_started');
    await publish(metric(run.id, 1, 1, [0, 1]));
    await publish(genotype(run.id, 1, 2, 'LRNAS_C10'));
    await drained();
    assert.deepEqual(await stored(run.id), before);
    assert.equal(await refusedCount('not_started'), notStarted + 2);
  });

  test("an attempt's events stored before its RUNNING wait for it and are kept", async () => {
    const { run } = await createRunFixture(gateway.db.orm.em.fork(), 'ctx-order');
    const notStarted = await refusedCount('not_started');
    // As after a gateway crash: its RUNNING comes back only after the events that followed it.
    await publish(metric(run.id, 1, 1, [0, 1]));
    await publish(status(run.id, 1, 0, 'RUNNING', 'w-a'));
    await drained();
    const after = (await stored(run.id)) as { row: Run; points: unknown[] };
    assert.equal(after.row.status, 'RUNNING');
    assert.equal(after.points.length, 2);
    assert.equal(await refusedCount('not_started'), notStarted);
  });

  test("events not signed with the key of the run's job are refused, even as a new attempt, and nothing changes", async () => {
    const { run } = await createRunFixture(gateway.db.orm.em.fork(), 'ctx-forged', { kind: RunKind.PIPELINE });
    await publish(status(run.id, 1, 0, 'RUNNING', 'w-a'));
    await publish(metric(run.id, 1, 1, [0, 1]));
    await drained();
    const before = await stored(run.id);
    const forged = await refusedCount('forged');
    const unsigned = await refusedCount('unsigned');

    // A worker login that never received this run's job: it signs with a key of its own, claims a
    // redelivery and reports a result; then it sends an event with no signature at all.
    const worker = await connect({ servers: nats.server.url, ...loginOptions(natsLogin(nats.server, 'worker')) });
    try {
      const as = { nc: worker, key: newEventKey() };
      await publish(status(run.id, 2, 0, 'RUNNING', 'w-forger'), as);
      await publish(genotype(run.id, 2, 1, 'DARTS_V2'), as);
      await publish(evaluation(run.id, 2, 2, 0.99), as);
      await publish(status(run.id, 2, 3, 'SUCCEEDED', 'w-forger'), as);
      const bare = eventCodec.parse({ v: 1, time: new Date().toISOString(), ...evaluation(run.id, 1, 2, 0.98) });
      await worker.jetstream().publish(eventSubject(run.id, 'evaluation'), eventCodec.encode(bare));
    } finally {
      await worker.close();
    }
    await drained();

    assert.deepEqual(await stored(run.id), before, 'nothing stored about the run changed');
    assert.equal(await refusedCount('forged'), forged + 4);
    assert.equal(await refusedCount('unsigned'), unsigned + 1);
    assert.ok(
      lines.some((l) => l.includes(`of run ${run.id} (forged)`) && l.includes('nothing stored')),
      'a log line names the run and the reason',
    );
    // The worker that holds the job carries on undisturbed.
    await publish(metric(run.id, 1, 2, [2]));
    await drained();
    assert.equal(((await stored(run.id)) as { points: unknown[] }).points.length, 3);
  });

  test('a run made before events were signed has no key, and every event for it is refused', async () => {
    const em = gateway.db.orm.em.fork();
    const { run } = await createRunFixture(em, 'ctx-keyless');
    run.eventKey = null;
    await em.flush();
    const before = await stored(run.id);
    const forged = await refusedCount('forged');
    await publish(status(run.id, 1, 0, 'RUNNING', 'w-a'), { nc: nats.nc, key: newEventKey() });
    await drained();
    assert.deepEqual(await stored(run.id), before);
    assert.equal(await refusedCount('forged'), forged + 1);
  });
});
