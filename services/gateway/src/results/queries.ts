import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { ContractError, genotypeHash, parseGenotype } from '@lrnas/schema';
import { readableExperiments, notFound } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { combineSuites } from '../domain/attack-suite.js';
import { rankLeaderboard } from '../domain/leaderboard.js';
import { paretoFront } from '../domain/pareto.js';
import { Architecture, Evaluation, Run } from '../persistence/entities/index.js';
import { teamRunId } from '../ids.js';
import { checkInt, checkThreatModel } from '../validation.js';
import { allOf, selectRows, sql, trusted } from '../persistence/sql.js';
import { readableArchitectures } from '../auth/readable.js';

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
  cleanAccuracy: number;
  run: Run;
  decisive: Evaluation;
  suite: Evaluation[];
}

export interface LeaderboardQuery {
  dataset: string;
  threatModel: { norm: string; epsilon: number };
  maxParams?: number | null;
  attack?: string | null;
  /** Rows wanted, 1 to MAX_LEADERBOARD (default 100). */
  first?: number | null;
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
 * `attack` when given), then ranked per architecture by `rankLeaderboard`. The per-run reduction
 * runs in SQL so that 100,000 evaluations never travel to the gateway as entities.
 */
async function rankedCandidates(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<Candidate[]> {
  const threat = checkThreatModel('threatModel', query.threatModel);
  if (query.maxParams != null && !(query.maxParams > 0)) throw new ContractError('maxParams', 'must be positive');
  const where = allOf([
    sql`e.dataset = ${query.dataset}`,
    sql`e.threat_norm = ${threat.norm}`,
    sql`e.threat_epsilon between ${threat.epsilon - EPSILON_TOLERANCE} and ${threat.epsilon + EPSILON_TOLERANCE}`,
    ...(query.attack != null ? [sql`e.attack = ${query.attack}`] : []),
    ...(query.maxParams != null ? [sql`a.params <= ${query.maxParams}`] : []),
    viewer ? sql`(x.visibility = 'PUBLIC' or x.team_id = ${viewer.teamId})` : trusted(`x.visibility = 'PUBLIC'`),
  ]);
  const rows = await selectRows<{
    run_id: string;
    hash: string;
    params: number | string;
    robust: number;
    clean: number;
  }>(
    em,
    sql`select e.run_id as run_id, e.architecture_hash as hash, a.params as params,
          min(e.robust_accuracy) as robust, max(e.clean_accuracy) as clean
        from evaluations e
          join architectures a on a.hash = e.architecture_hash
          join runs r on r.id = e.run_id
          join experiments x on x.id = r.experiment_id
        where ${where}
        group by e.run_id, e.architecture_hash, a.params`,
  );
  return rankLeaderboard(
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

/** Loads the evaluations of the chosen runs and turns each into a row with its suite (provenance). */
async function withSuites(em: EntityManager, chosen: Candidate[], query: LeaderboardQuery): Promise<LeaderboardRow[]> {
  if (chosen.length === 0) return [];
  const threat = checkThreatModel('threatModel', query.threatModel);
  const evaluations = await em.find(
    Evaluation,
    {
      run: { $in: chosen.map((c) => c.runId) },
      dataset: query.dataset,
      threatNorm: threat.norm,
      threatEpsilon: { $gte: threat.epsilon - EPSILON_TOLERANCE, $lte: threat.epsilon + EPSILON_TOLERANCE },
      ...(query.attack != null ? { attack: query.attack } : {}),
    },
    { populate: ['architecture', 'run'] },
  );
  const suites = new Map(
    combineSuites(
      evaluations.map((e) => ({
        runId: e.run.id,
        attack: e.attack,
        robustAccuracy: e.robustAccuracy,
        cleanAccuracy: e.cleanAccuracy,
        evaluation: e,
      })),
    ).map((s) => [s.runId, s]),
  );
  return chosen.flatMap((c, i) => {
    const suite = suites.get(c.runId);
    if (!suite) return [];
    const decisive = suite.decisive.evaluation;
    return [
      {
        rank: i + 1,
        architecture: decisive.architecture,
        params: c.params,
        flops: decisive.architecture.flops,
        robustAccuracy: suite.robustAccuracy,
        cleanAccuracy: suite.cleanAccuracy,
        run: decisive.run,
        decisive,
        suite: suite.evaluations.map((e) => e.evaluation),
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
  const ranked = await rankedCandidates(em, viewer, query);
  return withSuites(em, ranked.slice(0, first), query);
}

/** The leaderboard rows no other row beats on both size and robustness, smallest first. */
export async function paretoRows(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<LeaderboardRow[]> {
  const ranked = await rankedCandidates(em, viewer, query);
  const rankOf = new Map(ranked.map((c, i) => [c.runId, i + 1]));
  const rows = await withSuites(em, paretoFront(ranked), query);
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
