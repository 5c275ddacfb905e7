/** The leaderboard's filters as they live in the page address. */
import { ATTACKS, DATASETS, enumNames, NORMS } from '@lrnas/schema';

/** Data sets as the API names them: the contract's DATASETS. */
export const DATASET_CHOICES = enumNames(DATASETS);
/** Norms as the API names them: the contract's NORMS. */
export const NORM_CHOICES = enumNames(NORMS);
/** Attacks as the API names them (the contract's ATTACKS); '' ranks by the worst attack of each suite. */
export const ATTACK_CHOICES = ['', ...enumNames(ATTACKS)] as const;

/** Where the leaderboard opens when the address names no data set or threat model. */
export interface BoardDefault {
  dataset: string;
  norm: string;
  epsilon: number;
}

/**
 * Leaderboard filters read from the address (so a view can be shared), with their problems; what
 * the address leaves out comes from `fallback` (the threat model that has results), else MNIST at
 * L∞ 0.3.
 */
export function readFilters(
  query: URLSearchParams,
  fallback?: BoardDefault | null,
): {
  dataset: string;
  norm: string;
  epsilon: string;
  maxParams: string;
  attack: string;
  errors: string[];
} {
  const dataset = query.get('dataset') ?? fallback?.dataset ?? 'MNIST';
  const norm = (query.get('norm') ?? fallback?.norm ?? 'LINF').toUpperCase();
  const epsilon = query.get('epsilon') ?? (fallback ? String(fallback.epsilon) : '0.3');
  const maxParams = query.get('maxParams') ?? '';
  const attack = query.get('attack') ?? '';
  const errors: string[] = [];
  if (!(DATASET_CHOICES as readonly string[]).includes(dataset)) errors.push(`unknown data set ${dataset}`);
  if (!(NORM_CHOICES as readonly string[]).includes(norm))
    errors.push(`norm must be ${NORM_CHOICES.join(' or ')}, got ${norm}`);
  if (!(Number(epsilon) > 0)) errors.push(`epsilon must be a number above 0, got "${epsilon}"`);
  if (maxParams && !(Number(maxParams) > 0))
    errors.push(`the parameter limit must be a number above 0, got "${maxParams}"`);
  if (!(ATTACK_CHOICES as readonly string[]).includes(attack)) errors.push(`unknown attack ${attack}`);
  return { dataset, norm, epsilon, maxParams, attack, errors };
}

/** Whether the address chooses the data set or threat model itself (then no default applies). */
export const choosesBoard = (query: URLSearchParams): boolean =>
  ['dataset', 'norm', 'epsilon'].some((k) => query.has(k));

/** An evaluation as the leaderboard's defaults and explanations read it. */
export interface EvaluatedAt {
  dataset: string;
  attack: string;
  threatModel: { norm: string; epsilon: number; label: string };
}

export interface BoardWithResults extends BoardDefault {
  label: string;
  evaluations: number;
}

/**
 * The data sets and threat models that have evaluations, the most evaluated first (ties: the one
 * evaluated most recently, given evaluations newest first). The first is where the board opens.
 */
export function boardsWithResults(evaluations: readonly EvaluatedAt[]): BoardWithResults[] {
  const boards = new Map<string, BoardWithResults>();
  for (const e of evaluations) {
    const key = JSON.stringify([e.dataset, e.threatModel.norm, e.threatModel.epsilon]);
    const board = boards.get(key) ?? {
      dataset: e.dataset,
      norm: e.threatModel.norm,
      epsilon: e.threatModel.epsilon,
      label: e.threatModel.label,
      evaluations: 0,
    };
    board.evaluations++;
    boards.set(key, board);
  }
  return [...boards.values()].sort((a, b) => b.evaluations - a.evaluations);
}

/**
 * Why an empty board is empty, in words: no evaluation at this data set and threat model (the
 * caller lists where there are some), or the attack or parameter filter hides them.
 */
export function whyEmpty(
  filters: { dataset: string; norm: string; epsilon: string; maxParams: string; attack: string },
  evaluations: readonly EvaluatedAt[],
): { kind: 'no-results' } | { kind: 'hidden'; by: string[] } {
  const here = evaluations.filter(
    (e) =>
      e.dataset === filters.dataset &&
      e.threatModel.norm === filters.norm &&
      e.threatModel.epsilon === Number(filters.epsilon),
  );
  if (here.length === 0) return { kind: 'no-results' };
  const by: string[] = [];
  if (filters.attack && !here.some((e) => e.attack.toUpperCase() === filters.attack.toUpperCase())) {
    by.push(`the attack filter (${filters.attack}: no architecture here was evaluated with it)`);
  } else if (filters.maxParams) {
    by.push(`the parameter limit (at most ${Number(filters.maxParams).toLocaleString('en-US')})`);
  } else if (filters.attack) {
    by.push(`the attack filter (${filters.attack})`);
  }
  return { kind: 'hidden', by };
}
