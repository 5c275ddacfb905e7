// The leaderboard's summary (run_results) on SQLite and PostgreSQL: on random evaluations, stored
// through ingestion in shuffled batches with duplicates, the leaderboard and the Pareto front read
// from it give the same entries in the same order (ties included) as the query over the
// evaluations they replaced; a replayed batch changes no row; and the migration that creates the
// table fills it for evaluations stored before it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EntityManager } from '@mikro-orm/core';
import { ATTACKS, type RunEvent } from '@lrnas/schema';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { GENOTYPES } from '@lrnas/test-kit/graphql';
import type { Viewer } from '../src/auth/authenticate.js';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import { rankLeaderboard } from '../src/domain/leaderboard.js';
import { paretoFront } from '../src/domain/pareto.js';
import { applyEvents } from '../src/ingest/apply-events.js';
import { openDatabase, type Database } from '../src/persistence/database.js';
import {
  Architecture,
  Evaluation,
  Experiment,
  Run,
  RunKind,
  RunStatus,
  Visibility,
} from '../src/persistence/entities/index.js';
import { allOf, selectRows, sql, trusted } from '../src/persistence/sql.js';
import { leaderboard, paretoRows, type LeaderboardQuery } from '../src/results/queries.js';
import { rebuildRunResults } from '../src/results/run-results.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-summary-'));
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A seeded pseudo-random generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.LRNAS_TEST_SEED ?? 20261207);
const rand = random(SEED);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

/** One evaluated run, as the query before run_results reduced it (kept here as the reference). */
interface Candidate {
  runId: string;
  architectureHash: string;
  params: number;
  robustAccuracy: number;
  cleanAccuracy: number;
}

/**
 * The leaderboard's candidates as the gateway computed them before the summary: the per-run
 * reduction over the evaluations, verbatim, in the order its GROUP BY gives on SQLite (made
 * explicit, since PostgreSQL's hash aggregation has none), ranked by the same domain function.
 */
async function referenceCandidates(em: EntityManager, viewer: Viewer | undefined, query: LeaderboardQuery) {
  const tolerance = 1e-6;
  const where = allOf([
    sql`e.dataset = ${query.dataset}`,
    sql`e.threat_norm = ${query.threatModel.norm}`,
    sql`e.threat_epsilon between ${query.threatModel.epsilon - tolerance} and ${query.threatModel.epsilon + tolerance}`,
    ...(query.attack != null ? [sql`e.attack = ${query.attack}`] : []),
    ...(query.maxParams != null ? [sql`a.params <= ${query.maxParams}`] : []),
    viewer ? sql`(x.visibility = 'PUBLIC' or x.team_id = ${viewer.teamId})` : trusted(`x.visibility = 'PUBLIC'`),
  ]);
  const rows = await selectRows<{ run_id: string; hash: string; params: number; robust: number; clean: number }>(
    em,
    sql`select e.run_id as run_id, e.architecture_hash as hash, a.params as params,
          min(e.robust_accuracy) as robust, max(e.clean_accuracy) as clean
        from evaluations e
          join architectures a on a.hash = e.architecture_hash
          join runs r on r.id = e.run_id
          join experiments x on x.id = r.experiment_id
        where ${where}
        group by e.run_id, e.architecture_hash, a.params
        order by e.run_id, e.architecture_hash`,
  );
  return rankLeaderboard<Candidate>(
    rows.map((r) => ({
      runId: r.run_id,
      architectureHash: r.hash,
      params: Number(r.params),
      robustAccuracy: Number(r.robust),
      cleanAccuracy: Number(r.clean),
    })),
    query.maxParams ?? undefined,
  );
}

/** Radii per norm: under L2 two within the tolerance of each other (the per-run reading), under Linf one per threat model (the per-architecture one). */
const EPSILONS = { linf: [0.3, 0.3, 0.1], l2: [0.3, 0.3000004] } as const;
const ROBUST = [0.2, 0.3, 0.4] as const;
const CLEAN = [0.8, 0.9] as const;
const PARAMS = [100_000, 200_000, 300_000] as const;

interface World {
  viewers: (Viewer | undefined)[];
  runs: string[];
  architectureOf: Map<string, string>;
  datasetOf: Map<string, string>;
}

/** Two teams, a public and a private experiment each (one on another data set), 8 architectures and 60 running runs. */
async function seedWorld(em: EntityManager, tag: string): Promise<World> {
  const a = await createTeamWithKey(em, `a-${tag}`);
  const b = await createTeamWithKey(em, `b-${tag}`);
  const experiments = [
    [a.team.id, Visibility.PUBLIC, 'mnist'],
    [a.team.id, Visibility.PRIVATE, 'mnist'],
    [b.team.id, Visibility.PRIVATE, 'mnist'],
    [b.team.id, Visibility.PUBLIC, 'cifar10'],
  ].map(([team, visibility, dataset], i) =>
    em.create(Experiment, {
      id: `${tag}-exp-${i}`,
      team: team!,
      name: `experiment ${i}`,
      dataset: dataset!,
      threatNorm: 'linf',
      threatEpsilon: 0.3,
      visibility: visibility as Visibility,
    }),
  );
  const architectures = Array.from({ length: 8 }, (_, i) =>
    em.create(Architecture, {
      hash: `${tag}-arch-${String(i).padStart(2, '0')}`,
      genotype: GENOTYPES.LRNAS_C10,
      params: pick(PARAMS),
      channels: 16,
      layers: 8,
      classes: 10,
    }),
  );
  const runs = Array.from({ length: 60 }, (_, i) =>
    em.create(Run, {
      id: `${tag}-run-${String(i).padStart(2, '0')}`,
      experiment: pick(experiments),
      kind: RunKind.TRAIN,
      status: RunStatus.RUNNING,
      config: {},
      seed: i,
      attempts: 1,
      lastAttempt: 1,
      lastSeq: 0,
      workerId: 'worker',
      architecture: pick(architectures),
    }),
  );
  await em.flush();
  return {
    viewers: [undefined, { teamId: a.team.id } as Viewer, { teamId: b.team.id } as Viewer],
    runs: runs.map((r) => r.id),
    architectureOf: new Map(runs.map((r) => [r.id, r.architecture!.hash])),
    datasetOf: new Map(runs.map((r) => [r.id, r.experiment.dataset])),
  };
}

/** Evaluation events of random runs: attacks, seeds, radii (two within the tolerance) and accuracies drawn from few values, so ties abound. */
function evaluationEvents(runs: readonly string[], count: number): RunEvent[] {
  const seqs = new Map<string, number>();
  const seen = new Set<string>();
  const events: RunEvent[] = [];
  while (events.length < count) {
    const runId = pick(runs);
    const attack = pick(ATTACKS);
    const norm = rand() < 0.6 ? 'linf' : 'l2';
    const epsilon = pick(EPSILONS[norm]);
    const seed = Math.floor(rand() * 3);
    // One event per settings: a replay is an exact copy, as a redelivery is.
    const key = JSON.stringify([runId, attack, norm, epsilon, seed]);
    if (seen.has(key)) continue;
    seen.add(key);
    const seq = (seqs.get(runId) ?? 0) + 1;
    seqs.set(runId, seq);
    events.push({
      v: 1,
      runId,
      attempt: 1,
      seq,
      time: new Date(Date.UTC(2026, 11, 7, 12, 0, events.length)).toISOString(),
      type: 'evaluation',
      attack: { name: attack, steps: 10 },
      threatModel: { norm, epsilon },
      examples: 1000,
      seed,
      cleanAccuracy: pick(CLEAN),
      robustAccuracy: pick(ROBUST),
      backend: 'cpu',
      engineVersion: '0.1.0',
    } as RunEvent);
  }
  return events;
}

/** Every summary row, in a fixed order, as plain values. */
async function summary(em: EntityManager): Promise<unknown[]> {
  const rows = await selectRows<Record<string, unknown>>(
    em,
    sql`select run_id, architecture_hash, experiment_id, dataset, threat_norm, threat_epsilon, attack, params,
          robust_accuracy, clean_accuracy
        from run_results
        order by run_id, architecture_hash, dataset, threat_norm, threat_epsilon, attack`,
  );
  return rows.map((r) => Object.values(r).map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v)));
}

const QUERIES: LeaderboardQuery[] = [
  { dataset: 'mnist', threatModel: { norm: 'linf', epsilon: 0.3 } },
  { dataset: 'mnist', threatModel: { norm: 'linf', epsilon: 0.3 }, first: 3 },
  { dataset: 'mnist', threatModel: { norm: 'linf', epsilon: 0.3 }, maxParams: 200_000 },
  { dataset: 'mnist', threatModel: { norm: 'linf', epsilon: 0.3 }, attack: 'pgd' },
  { dataset: 'mnist', threatModel: { norm: 'linf', epsilon: 0.1 }, attack: 'fgsm', maxParams: 100_000 },
  { dataset: 'mnist', threatModel: { norm: 'l2', epsilon: 0.3 } },
  { dataset: 'mnist', threatModel: { norm: 'l2', epsilon: 0.3000007 }, maxParams: 200_000 },
  { dataset: 'mnist', threatModel: { norm: 'l2', epsilon: 0.3 }, attack: 'cw' },
  { dataset: 'cifar10', threatModel: { norm: 'linf', epsilon: 0.3 } },
];

/** The leaderboard and Pareto front of every query and viewer, both ways, must agree entry by entry. */
async function assertSameAnswers(em: EntityManager, world: World, when: string): Promise<number> {
  let entries = 0;
  for (const viewer of world.viewers) {
    for (const query of QUERIES) {
      const what = `${when}: ${JSON.stringify(query)} for ${viewer?.teamId ?? 'anyone'}`;
      const reference = await referenceCandidates(em, viewer, query);
      const expected = reference
        .slice(0, query.first ?? 100)
        .map((c, i) => [i + 1, c.architectureHash, c.runId, c.params]);
      const board = await leaderboard(em.fork(), viewer, query);
      assert.deepEqual(
        board.map((row) => [row.rank, row.architecture.hash, row.run.id, row.params]),
        expected,
        what,
      );
      // The row's accuracies come from the run's suite, which must be the candidate's reduction.
      board.forEach((row, i) => {
        assert.equal(row.robustAccuracy, reference[i]!.robustAccuracy, what);
      });
      // A query that reads no suite gets the same rows without them.
      const bare = await leaderboard(em.fork(), viewer, { ...query, suites: false });
      assert.deepEqual(
        bare.map((row) => [row.rank, row.architecture.hash, row.run.id, row.params, row.robustAccuracy, row.suite]),
        board.map((row) => [row.rank, row.architecture.hash, row.run.id, row.params, row.robustAccuracy, undefined]),
        `${what} (without suites)`,
      );
      const rankOf = new Map(reference.map((c, i) => [c.runId, i + 1]));
      const front = await paretoRows(em.fork(), viewer, query);
      assert.deepEqual(
        front.map((row) => [row.rank, row.architecture.hash, row.run.id, row.params, row.robustAccuracy]),
        paretoFront(reference).map((c) => [
          rankOf.get(c.runId),
          c.architectureHash,
          c.runId,
          c.params,
          c.robustAccuracy,
        ]),
        `${what} (Pareto front)`,
      );
      entries += board.length;
    }
  }
  return entries;
}

function ingest(db: Database, batch: RunEvent[]) {
  return db.orm.em
    .fork()
    .transactional((em) => applyEvents(em, batch, { lockRuns: db.kind === 'postgresql', signature: () => 'valid' }));
}

const targets: [string, (name: string) => Promise<DatabaseTarget>][] = [
  ['SQLite', async (name) => ({ kind: 'sqlite', file: path.join(scratch, `${name}.sqlite`) })],
  [
    'PostgreSQL',
    async (name) => {
      // A database of its own per test, so that the migration test starts from nothing.
      const admin = await openDatabase(parseDatabaseUrl(pg.url), { migrate: false });
      try {
        await admin.orm.em.getConnection().execute(`create database ${name}`, [], 'run');
      } finally {
        await admin.close();
      }
      return parseDatabaseUrl(pg.url.replace(/\/lrnas$/, `/${name}`));
    },
  ],
];

for (const [label, target] of targets) {
  describe(label, () => {
    test('the summary answers as the evaluations did, however the events come; a replay changes nothing', async () => {
      const db = await openDatabase(await target('summary_random'));
      try {
        const em = db.orm.em.fork();
        const world = await seedWorld(em, 'r');
        const events = evaluationEvents(world.runs, 400);
        // Shuffled, in batches of 1 to 30, with a tenth of the events delivered again later.
        const queue = [...events].sort(() => rand() - 0.5);
        for (const e of events) if (rand() < 0.1) queue.splice(Math.floor(rand() * queue.length), 0, e);
        let entries = 0;
        let batches = 0;
        while (queue.length > 0) {
          const batch = queue.splice(0, 1 + Math.floor(rand() * 30));
          const changes = await ingest(db, batch);
          assert.equal(changes.refused.length + changes.deferred.size + changes.unstarted.size, 0);
          if (++batches % 4 === 0) entries += await assertSameAnswers(em, world, `after batch ${batches}`);
        }
        entries += await assertSameAnswers(em, world, 'at the end');
        assert.ok(entries > 100, `the queries compared ${entries} entries`);

        // A replayed batch leaves every row as it was, and the rows are what a rebuild from all the evaluations gives.
        const before = await summary(em);
        await ingest(db, [...events].sort(() => rand() - 0.5).slice(0, 60));
        assert.deepEqual(await summary(em), before);
        await db.orm.em.fork().transactional((tx) => rebuildRunResults(tx));
        assert.deepEqual(await summary(em), before);
      } finally {
        await db.close();
      }
    });

    test("a replica's kept rankings follow what another replica stores", async () => {
      // Two connections to one database, as two gateway replicas: one reads (and keeps its
      // rankings, results/ranking-cache.ts), the other ingests.
      const where = await target('summary_replicas');
      const reader = await openDatabase(where);
      const writer = await openDatabase(where);
      try {
        const em = reader.orm.em.fork();
        const world = await seedWorld(em, 'k');
        const events = evaluationEvents(world.runs, 200);
        let entries = await assertSameAnswers(em, world, 'before any evaluation');
        for (let from = 0; from < events.length; from += 50) {
          await ingest(writer, events.slice(from, from + 50));
          entries += await assertSameAnswers(em, world, `after ${from + 50} evaluations stored by the other replica`);
        }
        assert.ok(entries > 100, `the queries compared ${entries} entries`);
      } finally {
        await writer.close();
        await reader.close();
      }
    });

    test('two batches storing runs of the same architectures at once leave the rows a rebuild gives', async () => {
      const db = await openDatabase(await target('summary_concurrent'));
      try {
        const em = db.orm.em.fork();
        const world = await seedWorld(em, 'c');
        const events = evaluationEvents(world.runs, 300);
        // Two replicas' worth: the even runs' events and the odd runs', each in batches of 10,
        // stored side by side (on PostgreSQL in two transactions at once).
        const half = (parity: number) => events.filter((e) => world.runs.indexOf(e.runId) % 2 === parity);
        const [even, odd] = [half(0), half(1)];
        for (let from = 0; from < Math.max(even.length, odd.length); from += 10) {
          await Promise.all([ingest(db, even.slice(from, from + 10)), ingest(db, odd.slice(from, from + 10))]);
        }
        const stored = await summary(em);
        await db.orm.em.fork().transactional((tx) => rebuildRunResults(tx));
        assert.deepEqual(await summary(em), stored);
        const best = `select architecture_hash, dataset, threat_norm, threat_epsilon, attack, team_id, run_id,
            robust_accuracy, clean_accuracy, first_run_id
          from architecture_results order by architecture_hash, dataset, threat_norm, threat_epsilon, attack, team_id`;
        const before = await selectRows(em, { text: best, values: [] });
        await db.orm.em.fork().transactional((tx) => rebuildRunResults(tx));
        assert.deepEqual(await selectRows(em, { text: best, values: [] }), before);
      } finally {
        await db.close();
      }
    });

    test('the migration that creates the summary fills it from the evaluations already stored', async () => {
      const db = await openDatabase(await target('summary_migration'), { migrate: false });
      try {
        const migrator = db.orm.getMigrator();
        const SUMMARY = 'Migration20261207155856';
        await migrator.up({ to: 'Migration20261207071039' });
        // Today's entities write columns that migrations after the summary's add: those run first.
        const later = (await migrator.getPendingMigrations()).map((m) => m.name).filter((name) => name > SUMMARY);
        if (later.length > 0) await migrator.up({ migrations: later });
        const em = db.orm.em.fork();
        const world = await seedWorld(em, 'm');
        // Stored as ingestion did before the summary: the evaluation rows alone.
        const rows = evaluationEvents(world.runs, 150).map((e) => {
          const event = e as Extract<RunEvent, { type: 'evaluation' }>;
          return {
            architecture: world.architectureOf.get(event.runId)!,
            run: event.runId,
            dataset: world.datasetOf.get(event.runId)!,
            attack: event.attack.name,
            attackSettings: { steps: 10 },
            threatNorm: event.threatModel.norm,
            threatEpsilon: event.threatModel.epsilon,
            examples: event.examples,
            seed: event.seed,
            cleanAccuracy: event.cleanAccuracy,
            robustAccuracy: event.robustAccuracy,
            backend: event.backend,
            engineVersion: event.engineVersion,
            settingsKey: `${event.runId}:${event.seq}`,
            createdAt: new Date(),
          };
        });
        await em.insertMany(Evaluation, rows as never);
        await migrator.up();
        const migrated = await summary(em);
        assert.ok(migrated.length > 100);
        await db.orm.em.fork().transactional((tx) => rebuildRunResults(tx));
        assert.deepEqual(await summary(em), migrated);
        await assertSameAnswers(em, world, 'after the migration');
      } finally {
        await db.close();
      }
    });
  });
}
