// Subscriptions over graphql-ws through two gateway replicas sharing one PostgreSQL database and
// one nats-server, one client on each: whichever replica ingests an event batch or runs a
// mutation, the clients of both get the update, because updates travel through NATS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl } from '../src/config.js';
import { MetricPoint } from '../src/persistence/entities/index.js';
import type { GatewayHandle } from '../src/gateway.js';
import { GENOTYPES, gql, ok } from '@lrnas/test-kit/graphql';
import { publishSignedEvent, type SignedEventInput } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-subscriptions-');
let pg: PostgresHandle;
let first: GatewayHandle;
let second: GatewayHandle;
let key: string;
let experimentId: string;
const clients: Client[] = [];
/** The id the client chose for the run; its run id (event subjects) is `runBus`. */
const RUN = 'live-run';
let runBus: string;

function connect(gateway: GatewayHandle, authorization?: string): Client {
  const client = createClient({
    url: gateway.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

type Result<T> = { data?: T; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] };

/** Reads a subscription until `done` holds for what arrived, or fails after a timeout. */
async function readUntil<T>(
  stream: AsyncIterator<Result<T>>,
  done: (seen: Result<T>[]) => boolean,
  what: string,
): Promise<Result<T>[]> {
  const seen: Result<T>[] = [];
  const deadline = Date.now() + 15_000;
  while (!done(seen)) {
    const next = await Promise.race([
      stream.next(),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now()))),
    ]);
    if (next === 'timeout') assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(seen)}`);
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}

/** Waits until both replicas hold `count` live listeners in all (the subscriptions are active). */
async function listening(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (first.live.listeners + second.live.listeners < count) {
    if (Date.now() > deadline) assert.fail('subscriptions did not become active');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const envelope = (seq: number) => ({
  v: 1 as const,
  runId: runBus,
  attempt: 1,
  seq,
  time: new Date(Date.now() + seq).toISOString(),
});
const publish = async (event: SignedEventInput) => publishSignedEvent(nats.nc, first.db.orm, event);

describe('two gateway replicas', () => {
  before(async () => {
    pg = await startPostgres();
    const start = () => startTestGateway(nats.server, parseDatabaseUrl(pg.url));
    first = await start();
    second = await start();
    await Promise.all([first.nats.ready, second.nats.ready]);
    key = (await createTeamWithKey(first.db.orm.em.fork(), 'live')).key;
    experimentId = ok(
      await gql<{ createExperiment: { id: string } }>(
        first.url,
        'mutation { createExperiment(input: { name: "live", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 2000000, visibility: PRIVATE }) { id } }',
        {},
        key,
      ),
    ).createExperiment.id;
    runBus = ok(
      await gql<{ startSearch: { id: string } }>(
        second.url,
        `mutation { startSearch(input: { experimentId: "${experimentId}", runId: "${RUN}" }) { id } }`,
        {},
        key,
      ),
    ).startSearch.id;
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await first?.stop();
    await second?.stop();
    await pg?.stop();
  });

  test('a client on each replica receives run, metric and leaderboard updates, whichever replica ingested them', async () => {
    const bearer = `Bearer ${key}`;
    const onFirst = connect(first, bearer);
    const onSecond = connect(second, bearer);
    const runs = onFirst.iterate<{ runUpdated: { id: string; status: string; stage: string | null; tags: string[] } }>({
      query: `subscription { runUpdated(runId: "${RUN}") { id status stage tags } }`,
    });
    const experimentRuns = onSecond.iterate<{ runUpdated: { id: string; tags: string[] } }>({
      query: `subscription { runUpdated(experimentId: "${experimentId}") { id tags } }`,
    });
    const metrics = onSecond.iterate<{ metricsAdded: { series: { key: string; points: { step: number }[] }[] } }>({
      query: `subscription { metricsAdded(runId: "${RUN}", keys: ["search/loss"]) { runId series { key points { step value } } } }`,
    });
    const board = onFirst.iterate<{ leaderboardChanged: { rank: number; robustAccuracy: number }[] }>({
      query:
        'subscription { leaderboardChanged(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) { rank robustAccuracy } }',
    });
    await listening(4);

    await publish({ ...envelope(0), type: 'status', status: 'RUNNING', stage: 'search' });
    const running = await readUntil(runs, (s) => s.some((r) => r.data?.runUpdated.status === 'RUNNING'), 'RUNNING');
    assert.equal(running.at(-1)!.data!.runUpdated.stage, 'search');

    for (let batch = 0; batch < 3; batch++) {
      const points = [0, 1].map((i) => ({ key: 'search/loss', step: batch * 2 + i, value: 1 / (batch * 2 + i + 1) }));
      await publish({
        ...envelope(1 + batch),
        type: 'metric',
        points: [...points, { key: 'search/acc', step: batch, value: 0.5 }],
      });
    }
    const seen = await readUntil(
      metrics,
      (s) => s.flatMap((m) => m.data?.metricsAdded.series.flatMap((x) => x.points) ?? []).length >= 6,
      'six loss points',
    );
    const steps = seen.flatMap((m) => m.data!.metricsAdded.series.flatMap((x) => x.points.map((p) => p.step)));
    assert.deepEqual(
      [...steps].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(
      seen.every((m) => m.data!.metricsAdded.series.every((x) => x.key === 'search/loss')),
      'only the keys asked for',
    );

    await publish({
      ...envelope(10),
      type: 'genotype',
      stage: 'select',
      genotype: GENOTYPES.LRNAS_C10,
      network: { channels: 16, layers: 8, classes: 10, inputChannels: 1, imageSize: 28 },
      params: 1_000_000,
      final: true,
    });
    await publish({
      ...envelope(11),
      type: 'evaluation',
      attack: { name: 'pgd', steps: 10 },
      threatModel: { norm: 'linf', epsilon: 0.3 },
      examples: 100,
      seed: 1,
      cleanAccuracy: 0.9,
      robustAccuracy: 0.7,
      backend: 'cpu',
      engineVersion: '0.1.0',
    });
    const boards = await readUntil(board, (s) => s.length >= 1, 'the leaderboard');
    assert.deepEqual(boards[0]!.data!.leaderboardChanged, [{ rank: 1, robustAccuracy: 0.7 }]);

    // A mutation on the first replica reaches the experiment subscriber on the second.
    ok(await gql(first.url, `mutation { tagRun(id: "${RUN}", add: ["watched"]) { id } }`, {}, key));
    const tagged = await readUntil(
      experimentRuns,
      (s) => s.some((r) => r.data?.runUpdated.tags.includes('watched')),
      'the tag',
    );
    assert.equal(tagged.at(-1)!.data!.runUpdated.id, runBus);
    for (const stream of [runs, experimentRuns, metrics, board]) await stream.return?.();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(first.live.listeners + second.live.listeners, 0, 'unsubscribing removes the listeners');
  });

  test('subscriptions check keys, visibility and query limits', async () => {
    const badKey = connect(first, 'Bearer not-a-key-not-a-key-not-a-key-0000');
    const refused = badKey.iterate({ query: `subscription { runUpdated(runId: "${RUN}") { id } }` });
    await assert.rejects(refused.next(), (error: { code?: number }) => error.code === 4403);

    const anonymous = connect(second);
    const hidden = await anonymous.iterate({ query: `subscription { runUpdated(runId: "${RUN}") { id } }` }).next();
    assert.equal((hidden.value as Result<unknown>).errors?.[0]?.extensions?.code, 'NOT_FOUND');

    const deep = connect(second, `Bearer ${key}`).iterate({
      query: `subscription { runUpdated(runId: "${RUN}") { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } }`,
    });
    await assert.rejects(deep.next(), (errors: { message: string; extensions: { code: string } }[]) => {
      assert.match(errors[0]!.message, /query depth 11 exceeds the limit of 10/);
      assert.equal(errors[0]!.extensions.code, 'BAD_INPUT');
      return true;
    });
  });

  test('on one run, runUpdated and metricsAdded complete once it ends, after its last points, which carry their time', async () => {
    const client = connect(second, `Bearer ${key}`);
    const runs = client.iterate<{ runUpdated: { status: string } }>({
      query: `subscription { runUpdated(runId: "${RUN}") { status } }`,
    });
    const metrics = client.iterate<{
      metricsAdded: { series: { key: string; points: { step: number; time: string }[] }[] };
    }>({
      query: `subscription { metricsAdded(runId: "${RUN}") { series { key points { step time } } } }`,
    });
    await listening(2);
    const produced = '2026-01-02T03:04:05.678Z';
    await publish({
      ...envelope(30),
      time: produced,
      type: 'metric',
      points: [{ key: 'train/loss', step: 0, value: 0.5 }],
    });
    await publish({ ...envelope(31), type: 'status', status: 'SUCCEEDED' });

    // readUntil ends when a stream completes; it fails if one does not within its deadline.
    const pointsSeen = await readUntil(metrics, () => false, 'metricsAdded to complete');
    assert.deepEqual(
      pointsSeen.flatMap((m) =>
        m.data!.metricsAdded.series.flatMap((x) => x.points.map((p) => [x.key, p.step, p.time])),
      ),
      [['train/loss', 0, produced]],
    );
    const statuses = await readUntil(runs, () => false, 'runUpdated to complete');
    assert.equal(statuses.at(-1)?.data?.runUpdated.status, 'SUCCEEDED');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(first.live.listeners + second.live.listeners, 0, 'completed subscriptions hold no listener');

    // A subscription on a run that had ended completes at once; the stored points keep their time.
    assert.deepEqual(
      await client.iterate({ query: `subscription { runUpdated(runId: "${RUN}") { status } }` }).next(),
      {
        done: true,
        value: undefined,
      },
    );
    const series = ok(
      await gql<{ metricSeries: { points: { time: string }[] }[] }>(
        first.url,
        `{ metricSeries(runId: "${RUN}", keys: ["train/loss"]) { points { time } } }`,
        {},
        key,
      ),
    ).metricSeries;
    assert.deepEqual(series[0]!.points, [{ time: produced }]);
  });

  test("metricsAdded still sends a run's last points when the update that ends the run overtakes them", async () => {
    // Each replica sends its updates after its own commit, so a run's last points stored by one replica
    // can still be on their way when the status that ends the run, stored by the other, is announced.
    // Here two are stored and never announced: the subscription must read them before completing.
    const bus = ok(
      await gql<{ startSearch: { id: string } }>(
        first.url,
        `mutation { startSearch(input: { experimentId: "${experimentId}", runId: "overtaken" }) { id } }`,
        {},
        key,
      ),
    ).startSearch.id;
    const client = connect(second, `Bearer ${key}`);
    const metrics = client.iterate<{ metricsAdded: { series: { key: string; points: { step: number }[] }[] } }>({
      query: `subscription { metricsAdded(runId: "overtaken") { series { key points { step } } } }`,
    });
    await listening(1);
    const stored = (step: number) => ({ key: 'train/loss', step, value: 1 / (step + 1), time: new Date() });
    const at = (seq: number) => ({ v: 1 as const, runId: bus, attempt: 1, seq, time: new Date().toISOString() });
    await publish({ ...at(1), type: 'status', status: 'RUNNING' });
    await publish({
      ...at(2),
      type: 'metric',
      points: [stored(0)].map(({ time: _, ...p }) => p),
    });
    const stepsOf = (seen: { data?: { metricsAdded: { series: { points: { step: number }[] }[] } } | null }[]) =>
      seen.flatMap((m) => m.data!.metricsAdded.series.flatMap((x) => x.points.map((p) => p.step)));
    const announced = await readUntil(metrics, (seen) => stepsOf(seen).includes(0), 'the announced point');
    const em = first.db.orm.em.fork();
    for (const step of [1, 2]) em.create(MetricPoint, { run: bus, ...stored(step) });
    await em.flush();
    await publish({ ...at(3), type: 'status', status: 'SUCCEEDED' });

    const rest = await readUntil(metrics, () => false, 'metricsAdded to complete');
    assert.deepEqual(stepsOf([...announced, ...rest]), [0, 1, 2], 'the announced point, then the two read at the end');
  });
});
