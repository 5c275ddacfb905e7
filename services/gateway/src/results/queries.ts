import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { ContractError, genotypeHash, parseGenotype } from '@lrnas/schema';
import { readableExperiments, notFound } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { combineSuites } from '../domain/attack-suite.js';
import { rankLeaderboard } from '../domain/leaderboard.js';
import { paretoFront } from '../domain/pareto.js';
import { Architecture, Evaluation, Run, WHOLE_SUITE } from '../persistence/entities/index.js';
import { teamRunId } from '../ids.js';
import { checkInt, checkThreatModel } from '../validation.js';
import { allOf, selectRows, sql, trusted } from '../persistence/sql.js';
import { readableArchitectures } from '../auth/readable.js';
import { cachedRanking } from './ranking-cache.js';

/** Evaluations at the same radius up to this difference belong to the same threat model (floats). */
const EPSILON_TOLERANCE = 1e-6;

/** Architectures the viewer may see, smallest first, within an optional parameter range. */
export async function listArchitectures(
  em: EntityManager,
  viewer: Viewer | undefined,
  options: { minParams?: number | null; maxParams?: number | null; first?: number | null; offset?: number | null },
): Promise<Architecture[]> {
  const params: Record<string, number> = {};
  if (options.minParams != null) params.$gte = options.minParams;
  if (options.maxParams != null) params.$lte = options.maxParams;
  return em.find(
    Architecture,
    { $and: [readableArchitectures(viewer), Object.keys(params).length ? { params } : {}] },
    {
      orderBy: { params: 'asc', hash: 'asc' },
      limit: checkInt('first', options.first ?? 50, 1, 200),
      offset: checkInt('offset', options.offset ?? 0, 0, 1_000_000),
    },
  );
}

/** One architecture, by its hash or by a genotype (any equivalent form: it is canonicalised first). */
export async function findArchitecture(
  em: EntityManager,
  viewer: Viewer | undefined,
  by: { hash?: string | null; genotype?: unknown },
): Promise<Architecture | null> {
  if ((by.hash == null) === (by.genotype == null)) {
    throw new ContractError('hash', 'give exactly one of hash and genotype');
  }
  const hash = by.hash ?? genotypeHash(parseGenotype(by.genotype, 'genotype'));
  return em.findOne(Architecture, { $and: [{ hash }, readableArchitectures(viewer)] });
}

/** Evaluations of runs the viewer may read, newest first. */
export async function listEvaluations(
  em: EntityManager,
  viewer: Viewer | undefined,
  options: { runId?: string | null; architecture?: string | null; dataset?: string | null; first?: number | null },
): Promise<Evaluation[]> {
  const where: FilterQuery<Evaluation> = { run: { experiment: readableExperiments(viewer) } };
  if (options.runId != null) {
    // A team may name its runs by the ids it chose; those come first, as for run(id:).
    const own = viewer ? teamRunId(viewer.teamId, options.runId) : undefined;
    const candidates = await em.find(
      Run,
      { id: own ? { $in: [own, options.runId] } : options.runId, experiment: readableExperiments(viewer) },
      { fields: ['id'] },
    );
    const id = (candidates.find((r) => r.id === own) ?? candidates[0])?.id ?? options.runId;
    Object.assign(where, { run: { id, experiment: readableExperiments(viewer) } });
  }
  if (options.architecture != null) Object.assign(where, { architecture: options.architecture });
  if (options.dataset != null) Object.assign(where, { dataset: options.dataset });
  return em.find(Evaluation, where, {
    populate: ['architecture', 'run'],
    orderBy: { createdAt: 'desc', id: 'desc' },
    limit: checkInt('first', options.first ?? 50, 1, 500),
  });
}

/** A leaderboard row: an architecture, by the best suite result of the runs that evaluated it. */
export interface LeaderboardRow {
  rank: number;
  architecture: Architecture;
  params: number;
  flops?: number | undefined;
  robustAccuracy: number;
  run: Run;
  /** The decisive evaluation's clean accuracy, the decisive evaluation and the suite: absent when not asked for. */
  cleanAccuracy?: number | undefined;
  decisive?: EvaluationView | undefined;
  suite?: EvaluationView[] | undefined;
}

export interface LeaderboardQuery {
  dataset: string;
  threatModel: { norm: string; epsilon: number };
  maxParams?: number | null;
  attack?: string | null;
  /** Rows wanted, 1 to MAX_LEADERBOARD (default 100). */
  first?: number | null;
  /**
   * Whether rows carry their suite (decisive evaluation, provenance and clean accuracy); default
   * true. A query that selects none of them spares the read of the evaluations.
   */
  suites?: boolean;
}

export const MAX_LEADERBOARD = 1000;

/** One evaluated run, reduced to what ranking needs. */
interface Candidate {
  runId: string;
  architectureHash: string;
  params: number;
  robustAccuracy: number;
  cleanAccuracy: number;
}

/**
 * Every evaluated run the viewer may read, scored by its worst case over the attacks (only
 * `attack` when given), then ranked per architecture by `rankLeaderboard`. Reads the summaries
 * that ingestion keeps (persistence/entities/run-result.ts, architecture-result.ts) rather than the
 * evaluations: the best run of each architecture, at most two rows per architecture (public runs
 * and the viewer's team's), when all of them are at one radius; else, when runs were evaluated at
 * radii within the tolerance of each other, one row per run and radius, combined here as the
 * evaluations themselves would be. Both give what ranking the evaluations gives, ties included.
 */
async function rankedCandidates(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<Candidate[]> {
  const threat = checkThreatModel('threatModel', query.threatModel);
  if (query.maxParams != null && !(query.maxParams > 0)) throw new ContractError('maxParams', 'must be positive');
  const filters = (alias: string) => [
    sql`${trusted(alias)}.dataset = ${query.dataset}`,
    sql`${trusted(alias)}.threat_norm = ${threat.norm}`,
    sql`${trusted(alias)}.attack = ${query.attack ?? WHOLE_SUITE}`,
    sql`${trusted(alias)}.threat_epsilon between ${threat.epsilon - EPSILON_TOLERANCE} and ${threat.epsilon + EPSILON_TOLERANCE}`,
    ...(query.maxParams != null ? [sql`${trusted(alias)}.params <= ${query.maxParams}`] : []),
  ];
  const best = await selectRows<CandidateRow & { low: number; high: number }>(
    em,
    // Per architecture the better of its public row and the viewer's team's, each architecture in
    // the place the first of its runs by id gives it, as the per-run ranking below would.
    sql`select run_id, hash, params, robust, clean, low, high from (
          select a.run_id as run_id, a.architecture_hash as hash, a.params as params,
            a.robust_accuracy as robust, a.clean_accuracy as clean,
            row_number() over (partition by a.architecture_hash
              order by a.robust_accuracy desc, a.clean_accuracy desc, a.run_id) as place,
            min(a.first_run_id) over (partition by a.architecture_hash) as first_run,
            min(a.threat_epsilon) over () as low, max(a.threat_epsilon) over () as high
          from architecture_results a
          where ${allOf([
            ...filters('a'),
            viewer ? sql`(a.team_id is null or a.team_id = ${viewer.teamId})` : trusted('a.team_id is null'),
          ])}
        ) best
        where place = 1
        order by first_run, hash`,
  );
  if (best.every((r) => Number(r.low) === Number(r.high))) {
    return rankLeaderboard(best.map(candidateOf), query.maxParams ?? undefined);
  }
  const rows = await selectRows<CandidateRow>(
    em,
    // Ordered as the GROUP BY over evaluations gave them, so that ties rank as they always did.
    sql`select s.run_id as run_id, s.architecture_hash as hash, s.params as params,
          s.robust_accuracy as robust, s.clean_accuracy as clean
        from run_results s
          join experiments x on x.id = s.experiment_id
        where ${allOf([
          ...filters('s'),
          viewer ? sql`(x.visibility = 'PUBLIC' or x.team_id = ${viewer.teamId})` : trusted(`x.visibility = 'PUBLIC'`),
        ])}
        order by s.run_id, s.architecture_hash`,
  );
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const last = candidates.at(-1);
    if (last && last.runId === row.run_id && last.architectureHash === row.hash) {
      last.robustAccuracy = Math.min(last.robustAccuracy, Number(row.robust));
      last.cleanAccuracy = Math.max(last.cleanAccuracy, Number(row.clean));
    } else {
      candidates.push(candidateOf(row));
    }
  }
  return rankLeaderboard(candidates, query.maxParams ?? undefined);
}

/**
 * rankedCandidates, kept while the result summaries stay as they were (ranking-cache.ts): the
 * query over the summaries was most of a leaderboard's time. Callers must not change the list.
 */
async function cachedRankedCandidates(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<readonly Candidate[]> {
  const key = JSON.stringify([
    query.dataset,
    query.threatModel.norm,
    query.threatModel.epsilon,
    query.attack ?? null,
    query.maxParams ?? null,
    viewer?.teamId ?? null,
  ]);
  return cachedRanking(em, key, () => rankedCandidates(em, viewer, query));
}

/** A summary row as the driver returns it (PostgreSQL gives bigints as text). */
interface CandidateRow {
  run_id: string;
  hash: string;
  params: number | string;
  robust: number;
  clean: number;
}

function candidateOf(row: CandidateRow): Candidate {
  return {
    runId: row.run_id,
    architectureHash: row.hash,
    params: Number(row.params),
    robustAccuracy: Number(row.robust),
    cleanAccuracy: Number(row.clean),
  };
}

/**
 * An evaluation as a leaderboard row shows it (its decisive one and its suite): the columns, and its
 * run and architecture by id, which the Evaluation type's fields look up (results/fields.ts). An
 * entity is one too.
 */
export interface EvaluationView {
  id: number;
  architecture: { hash: string };
  run: { id: string };
  dataset: string;
  attack: string;
  attackSettings: Record<string, number>;
  threatNorm: string;
  threatEpsilon: number;
  examples: number;
  seed: number;
  cleanAccuracy: number;
  robustAccuracy: number;
  backend: string;
  engineVersion: string;
  createdAt: Date;
}

/** An evaluations row as the drivers return it: JSON as text and dates as milliseconds on SQLite. */
interface EvaluationRecord {
  id: number;
  run_id: string;
  architecture_hash: string;
  dataset: string;
  attack: string;
  attack_settings: string | Record<string, number>;
  threat_norm: string;
  threat_epsilon: number;
  examples: number;
  seed: number;
  clean_accuracy: number;
  robust_accuracy: number;
  backend: string;
  engine_version: string;
  created_at: number | string | Date;
}

/** Ids per `in (...)` list. */
const IDS_PER_QUERY = 1000;

/**
 * The evaluations of `runIds` under the query's threat model (and attack), as plain rows: a
 * leaderboard of 200 rows shows 2,000 of them, which as entities would cost more than the rest of
 * the query. Selected by run alone, which the (run, settings) index answers; the threat model and
 * attack are checked here (given those too, SQLite's planner prefers the data set index and reads
 * every evaluation of the leaderboard).
 */
async function suiteEvaluations(
  em: EntityManager,
  runIds: readonly string[],
  query: LeaderboardQuery,
): Promise<EvaluationView[]> {
  const threat = checkThreatModel('threatModel', query.threatModel);
  const low = threat.epsilon - EPSILON_TOLERANCE;
  const high = threat.epsilon + EPSILON_TOLERANCE;
  const views: EvaluationView[] = [];
  for (let from = 0; from < runIds.length; from += IDS_PER_QUERY) {
    const ids = runIds.slice(from, from + IDS_PER_QUERY);
    const records = await selectRows<EvaluationRecord>(
      em,
      sql`select id, run_id, architecture_hash, dataset, attack, attack_settings, threat_norm, threat_epsilon,
            examples, seed, clean_accuracy, robust_accuracy, backend, engine_version, created_at
          from evaluations
          where run_id in (${{ text: ids.map(() => '?').join(', '), values: ids }})
          order by id`,
    );
    for (const r of records) {
      const epsilon = Number(r.threat_epsilon);
      if (r.dataset !== query.dataset || r.threat_norm !== threat.norm || epsilon < low || epsilon > high) continue;
      if (query.attack != null && r.attack !== query.attack) continue;
      views.push({
        id: Number(r.id),
        architecture: { hash: r.architecture_hash },
        run: { id: r.run_id },
        dataset: r.dataset,
        attack: r.attack,
        attackSettings: typeof r.attack_settings === 'string' ? JSON.parse(r.attack_settings) : r.attack_settings,
        threatNorm: r.threat_norm,
        threatEpsilon: epsilon,
        examples: Number(r.examples),
        seed: Number(r.seed),
        cleanAccuracy: Number(r.clean_accuracy),
        robustAccuracy: Number(r.robust_accuracy),
        backend: r.backend,
        engineVersion: r.engine_version,
        createdAt: new Date(
          typeof r.created_at === 'string' && /^\d+$/.test(r.created_at) ? Number(r.created_at) : r.created_at,
        ),
      });
    }
  }
  return views;
}

/**
 * Turns each chosen run into a row with its run, its architecture and, when `query.suites` is not
 * false, its suite (provenance; the row's clean accuracy is its decisive evaluation's). A run's
 * suite is all its evaluations under the threat model, and the row shows the architecture of the
 * decisive one, as it always did; without suites, the candidate's.
 */
async function leaderboardRows(
  em: EntityManager,
  chosen: Candidate[],
  query: LeaderboardQuery,
): Promise<LeaderboardRow[]> {
  if (chosen.length === 0) return [];
  const suites =
    query.suites === false
      ? undefined
      : new Map(
          combineSuites(
            (
              await suiteEvaluations(
                em,
                chosen.map((c) => c.runId),
                query,
              )
            ).map((e) => ({
              runId: e.run.id,
              attack: e.attack,
              robustAccuracy: e.robustAccuracy,
              cleanAccuracy: e.cleanAccuracy,
              evaluation: e,
            })),
          ).map((s) => [s.runId, s]),
        );
  const hashOf = (c: Candidate) =>
    suites ? suites.get(c.runId)?.decisive.evaluation.architecture.hash : c.architectureHash;
  const [runs, architectures] = await Promise.all([
    em.find(Run, { id: { $in: [...new Set(chosen.map((c) => c.runId))] } }),
    em.find(Architecture, { hash: { $in: [...new Set(chosen.flatMap((c) => hashOf(c) ?? []))] } }),
  ]);
  const runOf = new Map(runs.map((r) => [r.id, r]));
  const architectureOf = new Map(architectures.map((a) => [a.hash, a]));
  return chosen.flatMap((c, i) => {
    const suite = suites?.get(c.runId);
    const run = runOf.get(c.runId);
    const hash = hashOf(c);
    const architecture = hash === undefined ? undefined : architectureOf.get(hash);
    if ((suites && !suite) || !run || !architecture) return [];
    return [
      {
        rank: i + 1,
        architecture,
        params: c.params,
        flops: architecture.flops,
        robustAccuracy: suite?.robustAccuracy ?? c.robustAccuracy,
        cleanAccuracy: suite?.cleanAccuracy,
        run,
        decisive: suite?.decisive.evaluation,
        suite: suite?.evaluations.map((e) => e.evaluation),
      },
    ];
  });
}

/**
 * The leaderboard of a data set and threat model over the evaluations the viewer may read: per
 * evaluated run its worst case over the attacks (only `attack` when given), per architecture its
 * best run, ranked by robust accuracy (ties: smaller, then cleaner), within `maxParams`.
 */
export async function leaderboard(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<LeaderboardRow[]> {
  const first = checkInt('first', query.first ?? 100, 1, MAX_LEADERBOARD);
  const ranked = await cachedRankedCandidates(em, viewer, query);
  return leaderboardRows(em, ranked.slice(0, first), query);
}

/** The leaderboard rows no other row beats on both size and robustness, smallest first. */
export async function paretoRows(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<LeaderboardRow[]> {
  const ranked = await cachedRankedCandidates(em, viewer, query);
  const rankOf = new Map(ranked.map((c, i) => [c.runId, i + 1]));
  const rows = await leaderboardRows(em, paretoFront(ranked), query);
  return rows.map((row) => ({ ...row, rank: rankOf.get(row.run.id) ?? row.rank }));
}

/** The evaluation, if its run is readable. */
export async function readableEvaluation(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: number,
): Promise<Evaluation> {
  const found = await em.findOne(Evaluation, { id, run: { experiment: readableExperiments(viewer) } });
  if (!found) throw notFound('evaluation', String(id));
  return found;
}
