import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { ContractError, genotypeHash, parseGenotype } from '@lrnas/schema';
import { readableExperiments, notFound } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { combineSuites } from '../domain/attack-suite.js';
import { rankLeaderboard } from '../domain/leaderboard.js';
import { paretoFront } from '../domain/pareto.js';
import { Architecture, Evaluation, type Run } from '../persistence/entities/index.js';
import { checkInt, checkThreatModel } from '../validation.js';
import { readableArchitectures } from './readable.js';

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
  if (options.runId != null)
    Object.assign(where, { run: { id: options.runId, experiment: readableExperiments(viewer) } });
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
  const threat = checkThreatModel('threatModel', query.threatModel);
  if (query.maxParams != null && !(query.maxParams > 0)) throw new ContractError('maxParams', 'must be positive');
  const evaluations = await em.find(
    Evaluation,
    {
      dataset: query.dataset,
      threatNorm: threat.norm,
      threatEpsilon: { $gte: threat.epsilon - EPSILON_TOLERANCE, $lte: threat.epsilon + EPSILON_TOLERANCE },
      ...(query.attack != null ? { attack: query.attack } : {}),
      ...(query.maxParams != null ? { architecture: { params: { $lte: query.maxParams } } } : {}),
      run: { experiment: readableExperiments(viewer) },
    },
    { populate: ['architecture', 'run'] },
  );
  const suites = combineSuites(
    evaluations.map((e) => ({
      runId: e.run.id,
      attack: e.attack,
      robustAccuracy: e.robustAccuracy,
      cleanAccuracy: e.cleanAccuracy,
      evaluation: e,
    })),
  );
  const candidates = suites.map((s) => {
    const decisive = s.decisive.evaluation;
    return {
      architectureHash: decisive.architecture.hash,
      params: decisive.architecture.params,
      robustAccuracy: s.robustAccuracy,
      cleanAccuracy: s.cleanAccuracy,
      decisive,
      suite: s.evaluations.map((e) => e.evaluation),
    };
  });
  return rankLeaderboard(candidates, query.maxParams ?? undefined).map((row, i) => ({
    rank: i + 1,
    architecture: row.decisive.architecture,
    params: row.params,
    flops: row.decisive.architecture.flops,
    robustAccuracy: row.robustAccuracy,
    cleanAccuracy: row.cleanAccuracy,
    run: row.decisive.run,
    decisive: row.decisive,
    suite: row.suite,
  }));
}

/** The leaderboard rows no other row beats on both size and robustness, smallest first. */
export async function paretoRows(
  em: EntityManager,
  viewer: Viewer | undefined,
  query: LeaderboardQuery,
): Promise<LeaderboardRow[]> {
  return paretoFront(await leaderboard(em, viewer, query));
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
