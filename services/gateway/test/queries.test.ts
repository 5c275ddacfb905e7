// The read side of the API on SQLite and PostgreSQL: filters (AND/OR, tags, parameter ranges,
// metric thresholds), sorting and cursor pagination of runs, run details, thinned metric series,
// architectures, evaluations, the leaderboard and Pareto front, run comparison, and what each
// team may see. Rows are written through the ORM, as ingestion would; reads go over HTTP.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import { genotypeHash, type Genotype } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import {
  Architecture,
  ArchitectureFinding,
  Evaluation,
  Experiment,
  MetricPoint,
  Run,
  RunKind,
  RunStatus,
  RunStatusChange,
  Visibility,
} from '../src/persistence/entities/index.js';
import { GENOTYPES, firstError, gql, ok } from '@lrnas/test-kit/graphql';
import { rebuildRunResults } from '../src/results/run-results.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-queries-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 10, minute));

function architecture(em: EntityManager, genotype: Genotype, params: number): Architecture {
  return em.create(Architecture, {
    hash: genotypeHash(genotype),
    genotype,
    params,
    flops: params * 150,
    channels: 16,
    layers: 8,
    classes: 10,
  });
}

/**
 * Team A owns a public and a private experiment, team B a private one. Runs: r1 (searched X,
 * SUCCEEDED, robust acc 0.3 0.5 0.4), r2 (trains Y, RUNNING, 0.6), r3 (QUEUED), r4 (team A's
 * private, trained X), r5 (team B's private, trained Y).
 */
async function seed(em: EntityManager, a: string, b: string) {
  const x = architecture(em, GENOTYPES.LRNAS_C10, 1_000_000);
  const y = architecture(em, GENOTYPES.DARTS_V2, 2_000_000);
  const experiment = (id: string, team: string, visibility: Visibility) =>
    em.create(Experiment, {
      id,
      team,
      name: id,
      dataset: 'mnist',
      threatNorm: 'linf',
      threatEpsilon: 0.3,
      visibility,
      createdAt: at(0),
    });
  const open = experiment('exp-open', a, Visibility.PUBLIC);
  const hidden = experiment('exp-hidden', a, Visibility.PRIVATE);
  const other = experiment('exp-other', b, Visibility.PRIVATE);
  const run = (id: string, exp: Experiment, kind: RunKind, status: RunStatus, minute: number, extra = {}) =>
    em.create(Run, { id, experiment: exp, kind, status, config: {}, seed: 1, createdAt: at(minute), ...extra });
  const r1 = run('r1', open, RunKind.SEARCH, RunStatus.SUCCEEDED, 1, {
    tags: ['baseline'],
    architecture: x,
    config: { search: { epochs: 10, preset: 'tiny' } },
    stage: 'select',
    startedAt: at(2),
    finishedAt: at(9),
  });
  const r2 = run('r2', open, RunKind.TRAIN, RunStatus.RUNNING, 2, {
    tags: ['baseline', 'long'],
    architecture: y,
    config: { search: { epochs: 50, preset: 'tiny' } },
    startedAt: at(3),
    lastEventAt: at(4),
  });
  run('r3', open, RunKind.EVALUATE, RunStatus.QUEUED, 3);
  const r4 = run('r4', hidden, RunKind.TRAIN, RunStatus.SUCCEEDED, 4, { architecture: x });
  const r5 = run('r5', other, RunKind.TRAIN, RunStatus.FAILED, 5, {
    architecture: y,
    error: { code: 'INTERNAL', message: 'out of memory' },
  });
  x.originRun = r1;
  y.originRun = r2;
  // What ingestion records as each run reports its genotype.
  for (const [architecture, found, minute] of [
    [x, r1, 1],
    [y, r2, 2],
    [x, r4, 4],
    [y, r5, 5],
  ] as const) {
    em.create(ArchitectureFinding, { architecture, run: found, foundAt: at(minute) });
  }
  const point = (r: Run, key: string, step: number, value: number | null) =>
    em.create(MetricPoint, { run: r, key, step, value, time: at(step) });
  [0.3, 0.5, 0.4].forEach((v, step) => point(r1, 'eval/robust_acc', step, v));
  point(r2, 'eval/robust_acc', 0, 0.6);
  point(r4, 'eval/robust_acc', 0, 0.2);
  for (let step = 0; step < 1000; step++) point(r1, 'train/loss', step, step === 777 ? 50 : 1 / (step + 1));
  for (const [status, stage, minute] of [
    [RunStatus.RUNNING, 'search', 2],
    [RunStatus.RUNNING, 'select', 7],
    [RunStatus.SUCCEEDED, 'select', 9],
  ] as const) {
    em.create(RunStatusChange, { run: r1, status, stage, attempt: 1, at: at(minute) });
  }
  const evaluation = (r: Run, arch: Architecture, attack: string, robust: number, clean = 0.9) =>
    em.create(Evaluation, {
      architecture: arch,
      run: r,
      dataset: 'mnist',
      attack,
      attackSettings: attack === 'pgd' ? { steps: 20 } : {},
      threatNorm: 'linf',
      threatEpsilon: 0.3,
      examples: 1000,
      seed: 7,
      cleanAccuracy: clean,
      robustAccuracy: robust,
      backend: 'cpu',
      engineVersion: '0.1.0',
      settingsKey: `${attack}-${r.id}`,
    });
  evaluation(r1, x, 'pgd', 0.45);
  evaluation(r1, x, 'fgsm', 0.55);
  evaluation(r2, y, 'pgd', 0.4, 0.95);
  evaluation(r4, x, 'pgd', 0.5);
  evaluation(r5, y, 'pgd', 0.9);
  await em.flush();
  // The leaderboard's summary, which ingestion writes with the evaluations.
  await rebuildRunResults(em);
}

const RUNS = `query($filter: RunFilter, $orderBy: RunOrder, $first: Int, $after: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor }
  }
}`;
interface RunsAnswer {
  runs: {
    totalCount: number;
    edges: { node: { id: string } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
}

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'queries.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    let keyA: string;
    let keyB: string;
    const ids = async (variables: Record<string, unknown>, key = keyA) =>
      ok(await gql<RunsAnswer>(gateway.url, RUNS, variables, key)).runs.edges.map((e) => e.node.id);

    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir));
      const em = gateway.db.orm.em.fork();
      const a = await createTeamWithKey(em, 'team a');
      const b = await createTeamWithKey(em, 'team b');
      keyA = a.key;
      keyB = b.key;
      await seed(em, a.team.id, b.team.id);
    });
    after(async () => {
      await gateway?.stop();
    });

    test('each caller sees public runs and its own team’s, never another team’s private ones', async () => {
      assert.deepEqual(await ids({}, ''), ['r3', 'r2', 'r1']);
      assert.deepEqual(await ids({}, keyA), ['r4', 'r3', 'r2', 'r1']);
      assert.deepEqual(await ids({}, keyB), ['r5', 'r3', 'r2', 'r1']);
      const hidden = await gql(gateway.url, '{ run(id: "r5") { id } }', {}, keyA);
      assert.equal(firstError(hidden).code, 'NOT_FOUND');
      const experiments = ok(await gql<{ experiments: { id: string }[] }>(gateway.url, '{ experiments { id } }'));
      assert.deepEqual(
        experiments.experiments.map((e) => e.id),
        ['exp-open'],
      );
    });

    test('filters combine with AND and OR: kinds, statuses, tags, parameter range, metric thresholds', async () => {
      assert.deepEqual(await ids({ filter: { kinds: ['TRAIN'] } }), ['r4', 'r2']);
      assert.deepEqual(await ids({ filter: { tags: ['baseline', 'long'] } }), ['r2']);
      assert.deepEqual(await ids({ filter: { params: { max: 1_500_000 } } }), ['r4', 'r1']);
      assert.deepEqual(
        await ids({ filter: { metrics: [{ key: 'eval/robust_acc', comparison: 'GTE', value: 0.45 }] } }),
        ['r2'],
        'LAST: r1 ended at 0.4',
      );
      assert.deepEqual(
        await ids({
          filter: { metrics: [{ key: 'eval/robust_acc', aggregate: 'MAX', comparison: 'GTE', value: 0.45 }] },
        }),
        ['r2', 'r1'],
      );
      assert.deepEqual(
        await ids({
          filter: {
            experimentId: 'exp-open',
            or: [
              { metrics: [{ key: 'eval/robust_acc', comparison: 'GT', value: 0.55 }] },
              { tags: ['baseline'], statuses: ['SUCCEEDED'] },
              { kinds: ['EVALUATE'], and: [{ statuses: ['QUEUED'] }] },
            ],
          },
        }),
        ['r3', 'r2', 'r1'],
      );
      assert.deepEqual(
        await ids({ filter: { or: [{ kinds: ['SEARCH'] }, { statuses: ['QUEUED'] }], and: [{ tags: ['baseline'] }] } }),
        ['r1'],
      );
    });

    test('sorting keeps runs without a value last; cursor pages walk every run once', async () => {
      const byMetric = { field: 'METRIC', metricKey: 'eval/robust_acc', direction: 'DESC' };
      assert.deepEqual(await ids({ orderBy: byMetric }), ['r2', 'r1', 'r4', 'r3']);
      for (const orderBy of [
        byMetric,
        { field: 'PARAMS', direction: 'ASC' },
        { field: 'FINISHED_AT', direction: 'DESC' },
        { field: 'CREATED_AT', direction: 'ASC' },
      ]) {
        const whole = await ids({ orderBy, first: 100 });
        const walked: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = ok(await gql<RunsAnswer>(gateway.url, RUNS, { orderBy, first: 1, after }, keyA)).runs;
          assert.equal(page.totalCount, 4);
          walked.push(...page.edges.map((e) => e.node.id));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        assert.deepEqual(walked, whole, `pages of ${JSON.stringify(orderBy)}`);
      }
      const paramsOrder = await ids({ orderBy: { field: 'PARAMS', direction: 'ASC' } });
      assert.deepEqual(paramsOrder.slice(0, 2).sort(), ['r1', 'r4']);
      assert.deepEqual(paramsOrder.slice(2), ['r2', 'r3']);
    });

    test('bad filters, orders and cursors are refused naming the field', async () => {
      const badKey = await gql(gateway.url, RUNS, { filter: { metrics: [{ key: '9x', comparison: 'GT', value: 1 }] } });
      assert.deepEqual([firstError(badKey).code, firstError(badKey).field], ['BAD_INPUT', 'filter.metrics[0].key']);
      const badCursor = await gql(gateway.url, RUNS, { after: 'nonsense' });
      assert.deepEqual([firstError(badCursor).code, firstError(badCursor).field], ['BAD_INPUT', 'after']);
      const first = ok(await gql<RunsAnswer>(gateway.url, RUNS, { first: 1 })).runs.pageInfo.endCursor;
      const otherOrder = await gql(gateway.url, RUNS, { after: first, orderBy: { field: 'PARAMS' } });
      assert.match(firstError(otherOrder).message, /different sort order/);
      const tooMany = await gql(gateway.url, RUNS, { first: 1000 });
      assert.equal(firstError(tooMany).field, 'first');
      const noKey = await gql(gateway.url, RUNS, { orderBy: { field: 'METRIC' } });
      assert.equal(firstError(noKey).field, 'orderBy.metricKey');
    });

    test('one run: config, status history, stages, current genotype, error', async () => {
      const { run } = ok(
        await gql<{
          run: {
            config: unknown;
            status: string;
            stalled: boolean;
            statusHistory: { status: string; stage: string }[];
            stages: { stage: string; startedAt: string; endedAt: string }[];
            architecture: { hash: string; params: number; genotype: Genotype };
            experiment: { id: string; threatModel: { label: string } };
            metricKeys: string[];
          };
        }>(
          gateway.url,
          `{ run(id: "r1") { config status stalled statusHistory { status stage } stages { stage startedAt endedAt }
             architecture { hash params genotype } experiment { id threatModel { label } } metricKeys } }`,
        ),
      );
      assert.deepEqual(run.config, { search: { epochs: 10, preset: 'tiny' } });
      assert.deepEqual(
        run.statusHistory.map((h) => h.status),
        ['RUNNING', 'RUNNING', 'SUCCEEDED'],
      );
      assert.deepEqual(run.stages, [
        { stage: 'search', startedAt: at(2).toISOString(), endedAt: at(7).toISOString() },
        { stage: 'select', startedAt: at(7).toISOString(), endedAt: at(9).toISOString() },
      ]);
      assert.equal(run.architecture.hash, genotypeHash(GENOTYPES.LRNAS_C10));
      assert.deepEqual(run.experiment, { id: 'exp-open', threatModel: { label: 'L∞ ε=0.3' } });
      assert.deepEqual(run.metricKeys, ['eval/robust_acc', 'train/loss']);
      const failed = ok(
        await gql<{ run: { error: unknown; stalled: boolean } }>(
          gateway.url,
          '{ run(id: "r5") { error { code message } stalled } }',
          {},
          keyB,
        ),
      );
      assert.deepEqual(failed.run.error, { code: 'INTERNAL', message: 'out of memory' });
      const running = ok(await gql<{ run: { stalled: boolean } }>(gateway.url, '{ run(id: "r2") { stalled } }'));
      assert.equal(running.run.stalled, true, 'RUNNING with its last event long ago');
    });

    test('metric series are thinned server-side and keep their extremes', async () => {
      const { metricSeries } = ok(
        await gql<{ metricSeries: { key: string; totalPoints: number; points: { step: number; value: number }[] }[] }>(
          gateway.url,
          '{ metricSeries(runId: "r1", keys: ["train/loss", "eval/robust_acc"], maxPoints: 50) { key totalPoints points { step value } } }',
        ),
      );
      const [loss, robust] = metricSeries;
      assert.equal(loss!.totalPoints, 1000);
      assert.ok(loss!.points.length <= 50);
      assert.ok(
        loss!.points.some((p) => p.step === 777 && p.value === 50),
        'the spike survives',
      );
      assert.deepEqual(loss!.points[0], { step: 0, value: 1 });
      assert.deepEqual(
        robust!.points.map((p) => p.value),
        [0.3, 0.5, 0.4],
      );
      const bad = await gql(gateway.url, '{ metricSeries(runId: "r1", maxPoints: 1) { key } }');
      assert.equal(firstError(bad).field, 'maxPoints');
    });

    test('architectures: listed by size, looked up by hash or by genotype', async () => {
      const hash = genotypeHash(GENOTYPES.LRNAS_C10);
      const list = ok(
        await gql<{ architectures: { hash: string; params: number }[] }>(
          gateway.url,
          '{ architectures(maxParams: 1500000) { hash params } }',
        ),
      );
      assert.deepEqual(list.architectures, [{ hash, params: 1_000_000 }]);
      const byGenotype = ok(
        await gql<{ architecture: { hash: string; originRun: { id: string } } }>(
          gateway.url,
          'query($g: JSON) { architecture(genotype: $g) { hash originRun { id } } }',
          { g: GENOTYPES.LRNAS_C10 },
        ),
      );
      assert.deepEqual(byGenotype.architecture, { hash, originRun: { id: 'r1' } });
      const unknown = ok(await gql<{ architecture: null }>(gateway.url, '{ architecture(hash: "nope") { hash } }'));
      assert.equal(unknown.architecture, null);
      const broken = await gql(gateway.url, 'query($g: JSON) { architecture(genotype: $g) { hash } }', {
        g: { ...GENOTYPES.LRNAS_C10, normal: [] },
      });
      assert.deepEqual([firstError(broken).code, firstError(broken).field], ['BAD_INPUT', 'genotype.normal']);
    });

    test('the leaderboard ranks by worst case over the suite, with provenance, per caller', async () => {
      const LEADERBOARD = `query($max: Float) {
        leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, maxParams: $max) {
          rank params robustAccuracy cleanAccuracy run { id } architecture { hash }
          decisive { attack attackSettings examples seed engineVersion }
          suite { attack robustAccuracy }
        }
      }`;
      type Board = {
        leaderboard: {
          rank: number;
          params: number;
          robustAccuracy: number;
          run: { id: string };
          decisive: { attack: string; attackSettings: object; examples: number; seed: number; engineVersion: string };
          suite: { attack: string; robustAccuracy: number }[];
        }[];
      };
      const anonymous = ok(await gql<Board>(gateway.url, LEADERBOARD)).leaderboard;
      assert.deepEqual(
        anonymous.map((r) => [r.rank, r.run.id, r.robustAccuracy, r.params]),
        [
          [1, 'r1', 0.45, 1_000_000],
          [2, 'r2', 0.4, 2_000_000],
        ],
      );
      assert.deepEqual(anonymous[0]!.decisive, {
        attack: 'PGD',
        attackSettings: { steps: 20 },
        examples: 1000,
        seed: 7,
        engineVersion: '0.1.0',
      });
      assert.deepEqual(
        anonymous[0]!.suite.map((s) => [s.attack, s.robustAccuracy]),
        [
          ['PGD', 0.45],
          ['FGSM', 0.55],
        ],
      );
      const teamA = ok(await gql<Board>(gateway.url, LEADERBOARD, {}, keyA)).leaderboard;
      assert.deepEqual(
        teamA.map((r) => [r.run.id, r.robustAccuracy]),
        [
          ['r4', 0.5],
          ['r2', 0.4],
        ],
        'team A also sees its private run r4, the best of X',
      );
      const teamB = ok(await gql<Board>(gateway.url, LEADERBOARD, { max: 1_500_000 }, keyB)).leaderboard;
      assert.deepEqual(
        teamB.map((r) => r.run.id),
        ['r1'],
        'within the budget',
      );
      const front = ok(
        await gql<{ paretoFront: { params: number; robustAccuracy: number }[] }>(
          gateway.url,
          '{ paretoFront(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) { params robustAccuracy } }',
          {},
          keyB,
        ),
      );
      assert.deepEqual(front.paretoFront, [
        { params: 1_000_000, robustAccuracy: 0.45 },
        { params: 2_000_000, robustAccuracy: 0.9 },
      ]);
      const evaluations = ok(
        await gql<{ evaluations: { run: { id: string } }[] }>(
          gateway.url,
          '{ evaluations(runId: "r1") { run { id } } }',
        ),
      );
      assert.equal(evaluations.evaluations.length, 2);
    });

    test('compareRuns shows differing settings and latest metrics side by side', async () => {
      const { compareRuns } = ok(
        await gql<{
          compareRuns: {
            runs: { id: string }[];
            configDifferences: { path: string; values: unknown[] }[];
            metrics: { key: string; values: (number | null)[] }[];
          };
        }>(
          gateway.url,
          '{ compareRuns(ids: ["r1", "r2"]) { runs { id } configDifferences { path values } metrics { key values } } }',
        ),
      );
      assert.deepEqual(compareRuns.configDifferences, [{ path: 'search.epochs', values: [10, 50] }]);
      assert.deepEqual(compareRuns.metrics, [
        { key: 'eval/robust_acc', values: [0.4, 0.6] },
        { key: 'train/loss', values: [0.001, null] },
      ]);
      const hidden = await gql(gateway.url, '{ compareRuns(ids: ["r1", "r4"]) { runs { id } } }');
      assert.equal(firstError(hidden).code, 'NOT_FOUND');
    });
  });
}
