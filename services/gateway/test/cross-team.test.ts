// What one team can learn about another team's private work, against a real nats-server and
// SQLite, then PostgreSQL: run ids chosen by clients, leaderboard pushes and shared architectures. Each test is the
// regression test of a finding of the second security review (issue 24): team B must get the same
// answers whatever team A holds privately.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { JOBS_STREAM, genotypeHash } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import type { GatewayHandle } from '../src/gateway.js';
import { GENOTYPES, firstError, gql, ok } from '@lrnas/test-kit/graphql';
import { eventsDrained, publishSignedEvent } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-cross-team-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});
const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'cross-team.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];
let gateway: GatewayHandle;
let keyA: string;
let keyB: string;
let privateA: string;
let publicB: string;
const clients: Client[] = [];

const EXPERIMENT = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`;
const START = `mutation($input: StartSearchInput!) { startSearch(input: $input) { id clientId status kind } }`;
type Started = { startSearch: { id: string; clientId: string | null; status: string; kind: string } };

async function experiment(key: string, name: string, visibility: 'PUBLIC' | 'PRIVATE'): Promise<string> {
  const input = {
    name,
    dataset: 'MNIST',
    threatModel: { norm: 'LINF', epsilon: 0.3 },
    parameterBudget: 2e6,
    visibility,
  };
  return ok(await gql<{ createExperiment: { id: string } }>(gateway.url, EXPERIMENT, { input }, key)).createExperiment
    .id;
}

async function start(key: string, experimentId: string, runId?: string) {
  return gql<Started>(gateway.url, START, { input: { experimentId, ...(runId ? { runId } : {}) } }, key);
}

/** Publishes an event as a worker would (the admin login may, as a worker login may). */
async function publish(event: Record<string, unknown> & { runId: string }): Promise<void> {
  await publishSignedEvent(nats.nc, gateway.db.orm, { v: 1, attempt: 1, time: new Date().toISOString(), ...event });
}

/** Waits until the gateway has stored every event published so far. */
const drained = (): Promise<void> => eventsDrained(nats.nc);

/** A run that found `genotype` (at `time`) and was evaluated: what a worker reports. */
async function findAndEvaluate(
  runId: string,
  genotype: keyof typeof GENOTYPES,
  time: string,
  robustAccuracy?: number,
): Promise<void> {
  await publish({ runId, seq: 0, time, type: 'status', status: 'RUNNING', stage: 'search', workerId: 'w' });
  await publish({
    runId,
    seq: 1,
    time,
    type: 'genotype',
    stage: 'select',
    genotype: GENOTYPES[genotype],
    network: { channels: 16, layers: 8, classes: 10, inputChannels: 1, imageSize: 28 },
    params: 1000,
    final: true,
  });
  if (robustAccuracy !== undefined) {
    await publish({
      runId,
      seq: 2,
      time,
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
  }
}

function connect(key?: string): Client {
  const client = createClient({
    url: gateway.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

for (const [label, target] of targets)
  describe(`cross-team privacy (${label})`, () => {
    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir));
      keyA = (await createTeamWithKey(gateway.db.orm.em.fork(), 'team A')).key;
      keyB = (await createTeamWithKey(gateway.db.orm.em.fork(), 'team B')).key;
      privateA = await experiment(keyA, 'a private', 'PRIVATE');
      publicB = await experiment(keyB, 'b public', 'PUBLIC');
    });
    after(async () => {
      for (const client of clients) await client.dispose();
      await gateway?.stop();
    });

    test("a run id another team holds privately is no oracle: B gets a run of its own, A's retry stays safe", async () => {
      const mineA = ok(await start(keyA, privateA, 'a-private-run-1')).startSearch;
      // B names A's id, and an id no one holds: the same kind of answer, a fresh run each.
      const taken = ok(await start(keyB, publicB, 'a-private-run-1')).startSearch;
      const fresh = ok(await start(keyB, publicB, 'b-fresh-run-1')).startSearch;
      for (const run of [taken, fresh]) assert.deepEqual([run.status, run.kind], ['QUEUED', 'SEARCH']);
      assert.equal(taken.clientId, 'a-private-run-1');
      assert.notEqual(taken.id, mineA.id, "B's run is not A's");
      assert.match(taken.id, /^run_[A-Za-z0-9_-]{22}$/);

      // Each team finds its own run under the id it chose; anonymous callers find neither.
      const lookup = async (key: string | undefined) =>
        gql<{ run: { id: string } }>(gateway.url, '{ run(id: "a-private-run-1") { id } }', {}, key);
      assert.equal(ok(await lookup(keyA)).run.id, mineA.id);
      assert.equal(ok(await lookup(keyB)).run.id, taken.id);
      assert.equal(firstError(await lookup(undefined)).code, 'NOT_FOUND');

      // Retries stay idempotent for both teams, and B taking an id first does not fail A's start.
      assert.equal(ok(await start(keyA, privateA, 'a-private-run-1')).startSearch.id, mineA.id);
      assert.equal(ok(await start(keyB, publicB, 'a-private-run-1')).startSearch.id, taken.id);
      const firstB = ok(await start(keyB, publicB, 'taken-first')).startSearch;
      const thenA = ok(await start(keyA, privateA, 'taken-first')).startSearch;
      assert.notEqual(thenA.id, firstB.id);
      assert.equal(thenA.status, 'QUEUED');

      // One job per run on the queue, each under its own message id.
      const jsm = await nats.nc.jetstreamManager();
      const ids: string[] = [];
      const info = await jsm.streams.info(JOBS_STREAM);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await jsm.streams.getMessage(JOBS_STREAM, { seq }).catch(() => undefined);
        const id = message?.header?.get('Nats-Msg-Id');
        if (id) ids.push(id);
      }
      for (const id of [mineA.id, taken.id, fresh.id, firstB.id, thenA.id]) {
        assert.equal(ids.filter((i) => i === id).length, 1, `one job for run ${id}, none of B in the place of A`);
      }

      // A run id of the team's own under the same client id is named without other teams' details.
      const clash = await gql(
        gateway.url,
        `mutation { startPipeline(input: { experimentId: "${publicB}", runId: "b-fresh-run-1" }) { id } }`,
        {},
        keyB,
      );
      assert.deepEqual([firstError(clash).code, firstError(clash).field], ['BAD_INPUT', 'input.runId']);
      assert.match(firstError(clash).message, /your team already has a run b-fresh-run-1 \(SEARCH/);
    });

    test('leaderboardChanged tells no one but its team when a private evaluation is stored', async () => {
      const runA = ok(await start(keyA, privateA)).startSearch.id;
      const runB = ok(await start(keyB, publicB)).startSearch.id;
      const BOARD =
        'subscription { leaderboardChanged(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) { robustAccuracy run { id } } }';
      type Board = { data?: { leaderboardChanged: { robustAccuracy: number; run: { id: string } }[] } };
      const anonymous = connect().iterate({ query: BOARD }) as AsyncIterableIterator<Board>;
      const teamB = connect(keyB).iterate({ query: BOARD }) as AsyncIterableIterator<Board>;
      const teamA = connect(keyA).iterate({ query: BOARD }) as AsyncIterableIterator<Board>;
      while (gateway.live.listeners < 3) await new Promise((r) => setTimeout(r, 25));

      await findAndEvaluate(runA, 'DARTS_V2', new Date().toISOString(), 0.7);
      const forA = (await teamA.next()).value as Board;
      assert.deepEqual(
        forA.data?.leaderboardChanged.map((e) => e.run.id),
        [runA],
        'A hears of its own result',
      );

      // Then a public result. Updates arrive in order, so the first message others get must be this
      // one: had the private evaluation been pushed to them, it would have come first (an empty list).
      await findAndEvaluate(runB, 'LRNAS_C100', new Date().toISOString(), 0.5);
      for (const [who, stream] of [
        ['anonymous', anonymous],
        ['team B', teamB],
      ] as const) {
        const first = (await stream.next()).value as Board;
        assert.deepEqual(
          first.data?.leaderboardChanged.map((e) => [e.run.id, e.robustAccuracy]),
          [[runB, 0.5]],
          `${who}: the first push is the public result`,
        );
      }
      const secondForA = (await teamA.next()).value as Board;
      assert.deepEqual(
        secondForA.data?.leaderboardChanged.map((e) => e.run.id),
        [runA, runB],
        'A hears of public results too',
      );
      for (const stream of [anonymous, teamB, teamA]) await stream.return?.();
    });

    test("an architecture B shares with A's private run shows B its own finding, never A's", async () => {
      const runA = ok(await start(keyA, privateA)).startSearch.id;
      const runB = ok(await start(keyB, publicB)).startSearch.id;
      const hash = genotypeHash(GENOTYPES.LRNAS_C10);
      await findAndEvaluate(runA, 'LRNAS_C10', '2026-12-01T08:00:00.000Z');
      await drained();
      const ARCH = `{ architecture(hash: "${hash}") { hash createdAt originRun { id } } architectures(first: 200) { hash } }`;
      type Arch = {
        architecture: { hash: string; createdAt: string | null; originRun: { id: string } | null } | null;
        architectures: { hash: string }[];
      };
      const before = ok(await gql<Arch>(gateway.url, ARCH, {}, keyB));
      assert.equal(before.architecture, null, "A's private finding is not B's to see");
      assert.ok(!before.architectures.some((a) => a.hash === hash));

      await findAndEvaluate(runB, 'LRNAS_C10', '2026-12-02T09:30:00.000Z');
      await drained();
      const forB = ok(await gql<Arch>(gateway.url, ARCH, {}, keyB));
      assert.deepEqual(
        forB.architecture,
        { hash, createdAt: '2026-12-02T09:30:00.000Z', originRun: { id: runB } },
        "B sees its own finding: its run and time, not A's",
      );
      assert.ok(
        forB.architectures.some((a) => a.hash === hash),
        'and lists it',
      );
      const viaRun = ok(
        await gql<{ run: { architecture: { createdAt: string; originRun: { id: string } } } }>(
          gateway.url,
          `{ run(id: "${runB}") { architecture { createdAt originRun { id } } } }`,
          {},
          keyB,
        ),
      );
      assert.deepEqual(viaRun.run.architecture, { createdAt: '2026-12-02T09:30:00.000Z', originRun: { id: runB } });
      // B's run is public, so anonymous callers see B's finding too; A still sees its own, earlier one.
      const anonymous = ok(await gql<Arch>(gateway.url, ARCH));
      assert.deepEqual(anonymous.architecture?.originRun, { id: runB });
      const forA = ok(await gql<Arch>(gateway.url, ARCH, {}, keyA));
      assert.deepEqual(forA.architecture, { hash, createdAt: '2026-12-01T08:00:00.000Z', originRun: { id: runA } });
    });
  });
