// Runs the platform did not start: a client elsewhere creates one, logs its metrics, architecture
// and evaluation through the API, and finishes it; it is stored once, streams to subscribers and
// ranks on the leaderboard with its provenance like a worker's run. Bad input names its field and
// changes nothing; a run whose client goes silent is marked lost.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ARTIFACTS_BUCKET } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { GENOTYPES, firstError, gql, ok } from '@lrnas/test-kit/graphql';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import { openDatabase } from '../src/persistence/database.js';
import { Experiment, Run, RunSource, RunStatus, Team } from '../src/persistence/entities/index.js';
import { LostRunSweeper } from '../src/logged-runs/lost-runs.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-logged-runs-');
const KEY = 'logged-runs-test-key-0123456789abcdefgh';

const CREATE_EXPERIMENT = `mutation { createExperiment(input: { name: "logged", dataset: MNIST,
  threatModel: { norm: LINF, epsilon: 0.1 }, parameterBudget: 100000 }) { id } }`;
const CREATE_RUN = `mutation($input: CreateRunInput!) { createRun(input: $input) {
  id clientId name kind status source loggedBy client config startedAt } }`;
const LOG_METRICS = `mutation($runId: ID!, $points: [MetricPointInput!]!) { logMetrics(runId: $runId, points: $points) { stored } }`;
const LOG_ARCHITECTURE = `mutation($runId: ID!, $input: LogArchitectureInput!) { logArchitecture(runId: $runId, input: $input) { id } }`;
const LOG_EVALUATION = `mutation($runId: ID!, $input: LogEvaluationInput!) { logEvaluation(runId: $runId, input: $input) { id } }`;
const FINISH = `mutation($runId: ID!, $status: RunStatus!, $error: String) { finishRun(runId: $runId, status: $status, error: $error) { status finishedAt error { code message } } }`;
const SERIES = `query($runId: ID!) { metricSeries(runId: $runId, maxPoints: 500) { key totalPoints points { step value } } }`;
const NETWORK = { channels: 8, layers: 5, classes: 10, inputChannels: 1, imageSize: 28 };

type Series = { key: string; totalPoints: number; points: { step: number; value: number | null }[] }[];

/** The points of `keys` at steps [from, to), value = key index + step / 1000. */
const points = (keys: string[], from: number, to: number) =>
  keys.flatMap((key, k) =>
    Array.from({ length: to - from }, (_, i) => ({ key, step: from + i, value: k + (from + i) / 1000 })),
  );

function suite(label: string, target: () => DatabaseTarget) {
  describe(`logged runs (${label})`, () => {
    let gateway: GatewayHandle;
    let experimentId: string;
    let otherKey: string;
    const clients: Client[] = [];
    const q = <T>(query: string, variables?: Record<string, unknown>, key = KEY) =>
      gql<T>(gateway.url, query, variables, key);

    before(async () => {
      gateway = await startTestGateway(nats.server, target(), {
        api: { bootstrapKey: KEY, bootstrapTeam: `logging lab ${label}`, maxArtifactBytes: 64 * 1024 },
      });
      experimentId = ok(await q<{ createExperiment: { id: string } }>(CREATE_EXPERIMENT)).createExperiment.id;
      otherKey = (await createTeamWithKey(gateway.db.orm.em.fork(), `other lab ${label}`)).key;
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.dispose()));
      await gateway?.stop();
    });

    test('a script logs a run: once per point, live to subscribers, on the leaderboard with its provenance', async () => {
      const input = {
        experimentId,
        runId: 'script-1',
        name: 'my TF.js script',
        source: 'CLIENT',
        client: '@lrnas/client 0.1.0',
        config: { learningRate: 0.05, layers: 5 },
        tags: ['external'],
      };
      const created = ok(await q<{ createRun: Record<string, unknown> }>(CREATE_RUN, { input })).createRun;
      assert.equal(created.status, 'RUNNING');
      assert.deepEqual(
        [created.clientId, created.name, created.kind, created.source, created.client],
        ['script-1', 'my TF.js script', 'TRAIN', 'CLIENT', '@lrnas/client 0.1.0'],
      );
      assert.match(String(created.loggedBy), /./, 'the key that created it');
      assert.deepEqual(created.config, input.config);
      const again = ok(await q<{ createRun: { id: string } }>(CREATE_RUN, { input })).createRun;
      assert.equal(again.id, created.id, 'creating it again returns the same run');
      const runId = String(created.id);

      // Live: the subscription hears of logged points as of a worker's.
      const client = createClient({
        url: gateway.url.replace('http', 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${KEY}` },
        retryAttempts: 0,
      });
      clients.push(client);
      const live = client.iterate<{ metricsAdded: { series: { key: string }[] } }>({
        query: `subscription($runId: ID!) { metricsAdded(runId: $runId) { series { key } } }`,
        variables: { runId },
      });
      // Until the subscription is in place a point reaches no one: log the same point (idempotent) until one arrives.
      const probe = live.next();
      let heard: IteratorResult<unknown> | undefined;
      for (let tries = 0; !heard && tries < 60; tries++) {
        ok(await q(LOG_METRICS, { runId, points: [{ key: 'live/probe', step: 0, value: 1 }] }));
        heard = await Promise.race([
          probe,
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 500)),
        ]);
      }
      assert.ok(heard && !heard.done, 'a subscriber heard of the logged point');

      const keys = ['train/loss', 'train/acc'];
      const first = points(keys, 0, 300);
      ok(await q(LOG_METRICS, { runId, points: first }));
      // A retried batch (its answer was lost) and a batch that arrives late and out of order.
      ok(await q(LOG_METRICS, { runId, points: first }));
      ok(await q(LOG_METRICS, { runId, points: points(keys, 400, 500) }));
      const late = await q<{ logMetrics: { stored: number } }>(LOG_METRICS, {
        runId,
        points: points(keys, 300, 400).map((p) => ({ ...p, time: '2026-01-01T00:00:00.000Z' })),
      });
      assert.equal(ok(late).logMetrics.stored, 200);
      const series = ok(await q<{ metricSeries: Series }>(SERIES, { runId })).metricSeries;
      for (const [k, key] of keys.entries()) {
        const one = series.find((s) => s.key === key)!;
        assert.equal(one.totalPoints, 500, `${key}: every step once`);
        assert.deepEqual(
          one.points.map((p) => p.step),
          Array.from({ length: 500 }, (_, i) => i),
          `${key}: in step order`,
        );
        assert.equal(one.points.at(-1)!.value, k + 0.499, `${key}: the last value is the highest step's`);
      }

      ok(
        await q(LOG_ARCHITECTURE, {
          runId,
          input: { genotype: GENOTYPES.LRNAS_C10, network: NETWORK, params: 44_322, flops: 5_000_000 },
        }),
      );
      ok(
        await q(LOG_EVALUATION, {
          runId,
          input: {
            attack: { name: 'PGD', steps: 20, stepSize: 0.01 },
            examples: 500,
            seed: 7,
            cleanAccuracy: 0.91,
            robustAccuracy: 0.42,
            backend: 'tfjs-wasm',
            engineVersion: 'my-script 1.0',
          },
        }),
      );
      for (const stage of ['train', 'evaluate']) {
        const staged = ok(
          await q<{ logStage: { stage: string } }>(
            `mutation($id: ID!, $stage: String!) { logStage(runId: $id, stage: $stage) { stage } }`,
            { id: runId, stage },
          ),
        );
        assert.equal(staged.logStage.stage, stage);
      }
      const finished = ok(
        await q<{ finishRun: { status: string; finishedAt: string | null } }>(FINISH, { runId, status: 'SUCCEEDED' }),
      ).finishRun;
      assert.equal(finished.status, 'SUCCEEDED');
      assert.ok(finished.finishedAt);
      assert.equal(
        ok(await q<{ finishRun: { status: string } }>(FINISH, { runId, status: 'SUCCEEDED' })).finishRun.status,
        'SUCCEEDED',
        'finishing again is harmless',
      );
      assert.equal(
        firstError(await q(LOG_METRICS, { runId, points: points(keys, 500, 501) })).code,
        'CONFLICT',
        'a finished run takes nothing more',
      );

      const board = ok(
        await q<{
          leaderboard: {
            params: number;
            robustAccuracy: number;
            run: { id: string; source: string; loggedBy: string; client: string };
          }[];
        }>(
          `{ leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.1 }) {
            params robustAccuracy run { id source loggedBy client } } }`,
        ),
      ).leaderboard;
      const row = board.find((r) => r.run.id === runId);
      assert.ok(row, 'the logged run ranks on the leaderboard');
      assert.deepEqual(
        [row.params, row.robustAccuracy, row.run.source, row.run.client, row.run.loggedBy],
        [44_322, 0.42, 'CLIENT', '@lrnas/client 0.1.0', created.loggedBy],
      );
    });

    test('bad input is refused naming the field, and nothing stored changes', async () => {
      const { createRun } = ok(
        await q<{ createRun: { id: string } }>(CREATE_RUN, {
          input: { experimentId, runId: 'bad-input', source: 'CLI' },
        }),
      );
      const runId = createRun.id;
      ok(await q(LOG_METRICS, { runId, points: points(['loss'], 0, 10) }));
      const stored = async () =>
        ok(await q<{ metricSeries: Series }>(SERIES, { runId })).metricSeries.reduce((n, s) => n + s.totalPoints, 0);

      const cases: [string, Record<string, unknown>, string, string][] = [
        [LOG_METRICS, { runId, points: [{ key: 'bad key', step: 1, value: 1 }] }, 'BAD_INPUT', 'points[0].key'],
        [LOG_METRICS, { runId, points: [{ key: 'loss', step: -1, value: 1 }] }, 'BAD_INPUT', 'points[0].step'],
        [LOG_METRICS, { runId, points: [{ key: 'loss', step: 2 ** 31, value: 1 }] }, 'BAD_INPUT', 'points[0].step'],
        [LOG_METRICS, { runId, points: points(['loss'], 0, 10_001) }, 'BAD_INPUT', 'points'],
        [LOG_METRICS, { runId, points: [] }, 'BAD_INPUT', 'points'],
        [LOG_METRICS, { runId: 'no-such-run', points: points(['loss'], 0, 1) }, 'NOT_FOUND', ''],
        [
          LOG_EVALUATION,
          { runId, input: { attack: { name: 'PGD' }, examples: 10, cleanAccuracy: 0.5, robustAccuracy: 0.2 } },
          'CONFLICT',
          '',
        ],
        [
          LOG_ARCHITECTURE,
          { runId, input: { genotype: { normal: [] }, network: NETWORK, params: 10 } },
          'BAD_INPUT',
          'input.genotype',
        ],
        [
          LOG_ARCHITECTURE,
          { runId, input: { genotype: GENOTYPES.DARTS_V2, network: { ...NETWORK, channels: 0 }, params: 10 } },
          'BAD_INPUT',
          'input.network.channels',
        ],
        [FINISH, { runId, status: 'RUNNING' }, 'BAD_INPUT', 'status'],
        [`mutation($id: ID!) { logStage(runId: $id, stage: "warmup") { id } }`, { id: runId }, 'BAD_INPUT', 'stage'],
        [CREATE_RUN, { input: { experimentId, source: 'WORKER' } }, 'BAD_INPUT', 'input.source'],
        [CREATE_RUN, { input: { experimentId, config: { blob: 'x'.repeat(70_000) } } }, 'BAD_INPUT', 'input.config'],
        [CREATE_RUN, { input: { experimentId: 'exp_unknown' } }, 'NOT_FOUND', ''],
      ];
      for (const [query, variables, code, field] of cases) {
        const error = firstError(await q(query, variables));
        assert.equal(error.code, code, `${JSON.stringify(variables).slice(0, 120)}: ${error.message}`);
        if (field) assert.ok(error.field?.startsWith(field), `${field} named, got ${error.field}: ${error.message}`);
      }
      // A value JSON cannot carry as a number (1e999 reads as Infinity) is refused by the API's Float.
      const infinite = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: `{"query": ${JSON.stringify(LOG_METRICS)}, "variables": {"runId": "${runId}", "points": [{"key": "loss", "step": 3, "value": 1e999}]}}`,
      });
      const answer = (await infinite.json()) as { errors: { extensions: { code: string; field?: string } }[] };
      assert.deepEqual(answer.errors[0]!.extensions, { code: 'BAD_INPUT', field: 'points[0].value' });

      // Another team may neither log to the run nor learn that it exists.
      assert.equal(
        firstError(await q(LOG_METRICS, { runId, points: points(['loss'], 0, 1) }, otherKey)).code,
        'NOT_FOUND',
      );
      // A worker's run takes no logged data.
      const { startSearch } = ok(
        await q<{ startSearch: { id: string } }>(
          `mutation($e: ID!) { startSearch(input: { experimentId: $e }) { id } }`,
          {
            e: experimentId,
          },
        ),
      );
      const worker = firstError(await q(LOG_METRICS, { runId: startSearch.id, points: points(['loss'], 0, 1) }));
      assert.deepEqual([worker.code, worker.field], ['BAD_INPUT', 'runId']);
      assert.equal(await stored(), 10, 'nothing stored changed');
    });

    test('a file uploads with its checksum, streams to the object store and downloads as the run’s artifact', async () => {
      const { createRun } = ok(
        await q<{ createRun: { id: string } }>(CREATE_RUN, { input: { experimentId, runId: 'with-files' } }),
      );
      const runId = createRun.id;
      const body = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
      const sha = createHash('sha256').update(body).digest('hex');
      const put = (name: string, data: Buffer, checksum: string, key = KEY, kind = 'checkpoint') =>
        fetch(`${gateway.url}/artifacts/${runId}?name=${encodeURIComponent(name)}&kind=${kind}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${key}`, 'x-checksum-sha256': checksum },
          body: data,
        });
      const stored = await put('train.ckpt', body, sha);
      assert.equal(stored.status, 201, await stored.clone().text());
      const { artifact } = (await stored.json()) as { artifact: { name: string; size: number } };
      assert.deepEqual([artifact.name, artifact.size], [`${runId}/train.ckpt`, body.length]);
      const listed = ok(
        await q<{ run: { artifacts: { name: string; kind: string; size: number }[] } }>(
          `query($id: ID!) { run(id: $id) { artifacts { name kind size } } }`,
          { id: runId },
        ),
      ).run.artifacts;
      assert.deepEqual(listed, [{ name: artifact.name, kind: 'checkpoint', size: body.length }]);
      const download = await fetch(`${gateway.url}/artifacts/${runId}?name=${encodeURIComponent(artifact.name)}`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      assert.ok(Buffer.from(await download.arrayBuffer()).equals(body), 'the same bytes come back');

      const refusals: [Promise<Response>, number, string][] = [
        [put('bad.ckpt', body, sha.replace(/^./, sha[0] === '0' ? '1' : '0')), 400, 'x-checksum-sha256'],
        [put('nosum.ckpt', body, ''), 400, 'x-checksum-sha256'],
        [put('big.ckpt', Buffer.alloc(64 * 1024 + 1), sha), 413, 'content-length'],
        [put('../escape', body, sha), 400, 'name'],
        [put('odd.kind', body, sha, KEY, 'movie'), 400, 'kind'],
        [put('theirs.ckpt', body, sha, otherKey), 404, ''],
      ];
      for (const [answer, status, field] of refusals) {
        const response = await answer;
        const { error } = (await response.json()) as { error: { field?: string; message: string } };
        assert.equal(response.status, status, error.message);
        if (field) assert.equal(error.field, field, error.message);
      }
      const after = ok(
        await q<{ run: { artifacts: { name: string }[] } }>(`query($id: ID!) { run(id: $id) { artifacts { name } } }`, {
          id: runId,
        }),
      ).run.artifacts;
      assert.deepEqual(
        after.map((a) => a.name),
        [artifact.name],
        'nothing refused was recorded',
      );
      const store = await gateway.nats.connection!.jetstream().views.os(ARTIFACTS_BUCKET);
      const refused = await store.info(`${runId}/bad.ckpt`);
      assert.ok(!refused || refused.deleted, 'a body with the wrong checksum is not kept');
    });

    test('a run whose client goes silent is marked lost; heartbeats keep it running', async () => {
      // Sweepers of their own over the same database, told the time: no waiting on the clock.
      const sweeper = (upSince: Date) => new LostRunSweeper(gateway.db.orm, 60_000, () => {}, undefined, upSince);
      const create = async (runId: string) =>
        ok(await q<{ createRun: { id: string } }>(CREATE_RUN, { input: { experimentId, runId } })).createRun.id;
      const silent = await create('silent');
      const alive = await create('alive');
      await gateway.db.orm.em
        .fork()
        .nativeUpdate(Run, { id: silent }, { lastEventAt: new Date(Date.now() - 2 * 60_000) });
      ok(await q(`mutation($id: ID!) { heartbeatRun(runId: $id) { id } }`, { id: alive }));
      const now = new Date();
      assert.deepEqual(
        await sweeper(new Date(now.getTime() - 30_000)).sweep(now),
        [],
        'silence while the gateway was down (up for less than the timeout) does not count',
      );
      assert.deepEqual(await sweeper(new Date(now.getTime() - 10 * 60_000)).sweep(now), [silent]);
      const read = async (id: string) =>
        ok(
          await q<{ run: { status: string; error: { code: string } | null } }>(
            `query($id: ID!) { run(id: $id) { status error { code } } }`,
            { id },
          ),
        ).run;
      assert.deepEqual(await read(silent), { status: 'FAILED', error: { code: 'LOST' } });
      assert.deepEqual(await read(alive), { status: 'RUNNING', error: null });
      assert.equal(
        firstError(await q(`mutation($id: ID!) { heartbeatRun(runId: $id) { id } }`, { id: silent })).code,
        'CONFLICT',
        'a lost run takes nothing more',
      );
    });
  });
}

let pg: PostgresHandle | undefined;
suite('SQLite', () => ({ kind: 'sqlite', file: path.join(nats.dataDir, 'logged-runs.sqlite') }));
describe('on PostgreSQL', () => {
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
  });
  suite('PostgreSQL', () => parseDatabaseUrl(pg!.url));
});

// The sweeper alone, with the gateway's lost-run timeout: silence counts from the gateway's start.
test('the lost-run sweeper ignores worker runs and runs that ended', async () => {
  const db = await openDatabase({ kind: 'sqlite', file: path.join(nats.dataDir, 'sweeper.sqlite') });
  try {
    const em = db.orm.em.fork();
    const team = em.create(Team, { id: 'team_s', name: 'sweeper team' });
    const experiment = em.create(Experiment, {
      id: 'exp_s',
      team,
      name: 'e',
      dataset: 'mnist',
      threatNorm: 'linf',
      threatEpsilon: 0.1,
    });
    const old = new Date(Date.now() - 3_600_000);
    const base = { experiment, kind: 'TRAIN' as const, config: {}, seed: 0, lastEventAt: old };
    em.create(Run, { ...base, id: 'run_worker', status: RunStatus.RUNNING });
    em.create(Run, { ...base, id: 'run_done', status: RunStatus.SUCCEEDED, source: RunSource.CLIENT });
    em.create(Run, { ...base, id: 'run_quiet', status: RunStatus.RUNNING, source: RunSource.CLI });
    await em.flush();
    const sweeper = new LostRunSweeper(db.orm, 60_000, () => {}, undefined, old);
    assert.deepEqual(await sweeper.sweep(), ['run_quiet']);
    assert.deepEqual(await sweeper.sweep(), [], 'a run is marked once');
  } finally {
    await db.close();
  }
});
