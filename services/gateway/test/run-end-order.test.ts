// The event that ends a run, stored by one gateway replica, can overtake the run's previous events,
// still held uncommitted by another replica of the shared event consumer (each takes its own batches).
// Against a real nats-server and SQLite, with two gateway replicas: a metricsAdded subscriber must
// still get the run's last points before its subscription completes. The test's own client of the
// durable consumer plays the replica that holds them: it takes the run's last metric event before the
// gateways start (so nothing else can take it), and hands it back only once the subscriber's replica
// has seen the run end, when a gateway stores it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, eventSubject } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import type { DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import { IngestProgress } from '../src/ingest/ingest-progress.js';
import { openDatabase, type Database } from '../src/persistence/database.js';
import { Experiment, Run, RunKind, RunStatus } from '../src/persistence/entities/index.js';
import { publishSignedEvent, type SignedEventInput } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-run-end-order-', { topology: true });
let database: DatabaseTarget;
/** The test's own connection to the database (the gateways open theirs). */
let db: Database;
const gateways: GatewayHandle[] = [];
let client: Client | undefined;

/** Waits until `holds`, checked every 25 ms; stops waiting (quietly) once `unless` settles. */
async function until(holds: () => boolean, what: string, unless?: Promise<unknown>): Promise<void> {
  let settled = false;
  void unless?.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = Date.now() + 15_000;
  while (!holds() && !settled) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every step a metricsAdded subscription sends until it completes. */
async function stepsUntilComplete(
  subscription: AsyncIterableIterator<{
    data?: { metricsAdded: { series: { points: { step: number }[] }[] } } | null;
    errors?: readonly unknown[];
  }>,
): Promise<number[]> {
  const steps: number[] = [];
  const deadline = Date.now() + 15_000;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      subscription.next(),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') assert.fail(`metricsAdded did not complete; got steps ${JSON.stringify(steps)}`);
    if (next.done) return steps;
    assert.equal(next.value.errors, undefined);
    steps.push(...next.value.data!.metricsAdded.series.flatMap((s) => s.points.map((p) => p.step)));
  }
}

describe('the closing read of a subscription', () => {
  before(async () => {
    database = { kind: 'sqlite', file: path.join(nats.dataDir, 'run-end-order.sqlite') };
    db = await openDatabase(database);
  });
  // Inside the suite: these run before the file's nats-server is stopped.
  after(async () => {
    await client?.dispose();
    for (const gateway of gateways) await gateway.stop();
    await db?.close();
  });

  test('waits for the events of a run that a replica holds, up to a limit', async () => {
    const progress = new IngestProgress({ connection: nats.nc }, () => {}, { limitMs: 300 });
    const consumer = await nats.nc.jetstream().consumers.get(EVENTS_STREAM, EVENTS_CONSUMER);
    assert.equal(await progress.runSettled('never-sent'), 'none', 'a run without events has nothing to wait for');
    const time = new Date().toISOString();
    const log = { v: 1, runId: 'held', attempt: 1, seq: 1, time, type: 'log', level: 'info', message: 'held' } as const;
    await nats.nc.jetstream().publish(eventSubject('held', 'log'), eventCodec.encode(log));
    const held = await consumer.next({ expires: 15_000 });
    assert.ok(held, 'the event was delivered');
    // Taken and never acknowledged: as a replica that died holding it, until AckWait.
    assert.equal(await progress.runSettled('held'), 'timed out');
    const leaving = new AbortController();
    const abandoned = progress.runSettled('held', leaving.signal);
    leaving.abort();
    assert.equal(await abandoned, 'abandoned');
    held.ack();
    const unlimited = new IngestProgress({ connection: nats.nc }, () => {});
    assert.equal(await unlimited.runSettled('held'), 'settled', 'acknowledged: settled');
    assert.equal(progress.waiting + unlimited.waiting, 0);
  });

  test("still sends a run's last points when another replica stores them after the update that ends the run", async () => {
    const setup = db.orm.em.fork();
    const { team, key } = await createTeamWithKey(setup, 'order');
    const experiment = setup.create(Experiment, {
      id: 'exp-order',
      team,
      name: 'order',
      dataset: 'mnist',
      threatNorm: 'linf',
      threatEpsilon: 0.3,
    });
    // Started: its RUNNING (seq 1 of attempt 1) was stored earlier.
    const run = setup.create(Run, {
      id: 'run-order',
      experiment,
      kind: RunKind.SEARCH,
      config: {},
      seed: 1,
      status: RunStatus.RUNNING,
      attempts: 1,
      lastAttempt: 1,
      lastSeq: 1,
    });
    await setup.flush();
    const at = (seq: number) => ({ v: 1 as const, runId: run.id, attempt: 1, seq, time: new Date().toISOString() });
    const publish = (event: SignedEventInput) => publishSignedEvent(nats.nc, db.orm, event);
    const consumer = await nats.nc.jetstream().consumers.get(EVENTS_STREAM, EVENTS_CONSUMER);
    const points = [0, 1, 2].map((step) => ({ key: 'search/loss', step, value: 1 / (step + 1) }));
    await publish({ ...at(2), type: 'metric', points });
    // No gateway pulls yet: the run's last metric event can only come to this client.
    const held = await consumer.next({ expires: 15_000 });
    assert.equal(held?.subject, eventSubject(run.id, 'metric'), 'the held event is the metric event');

    gateways.push(await startTestGateway(nats.server, database), await startTestGateway(nats.server, database));
    const subscriber = gateways[1]!;
    client = createClient({
      url: subscriber.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: true,
    });
    const subscribe = () =>
      client!.iterate<{ metricsAdded: { series: { points: { step: number }[] }[] } }>({
        query: 'subscription { metricsAdded(runId: "run-order") { series { key points { step } } } }',
      });
    const metrics = subscribe();
    const leaving = subscribe();
    await until(() => subscriber.live.listeners === 2, 'the subscriptions to be active');
    const completed = stepsUntilComplete(metrics);
    // Either gateway stores it and announces that the run ended.
    await publish({ ...at(3), type: 'status', status: 'SUCCEEDED' });
    // The subscriber's replica has seen the run end: both subscriptions wait for the held event now
    // (or, were they not to wait, they have completed already and the points come too late).
    await until(() => subscriber.ingest.waiting === 2, 'the closing reads to wait', completed);
    // A client that goes away meanwhile stops its wait.
    await leaving.return?.();
    await until(() => subscriber.ingest.waiting === 1, 'the wait of the client that left to end', completed);
    held!.nak();

    assert.deepEqual(await completed, [0, 1, 2], 'the held points, sent before the subscription completed');
  });
});
