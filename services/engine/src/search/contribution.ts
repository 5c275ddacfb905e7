import { shuffleInPlace } from '../random.js';
import type { Rng } from '../random.js';
import { PLAYER_COUNT } from './space.js';
import { zScore } from './zscore.js';

/**
 * Monte-Carlo contribution estimation of LRNAS (lrnas-method.md section 4), independent of any model: it draws
 * permutations of the 224 players, asks a scorer for the clean and adversarial accuracy of the supernet as the
 * players are removed one by one, and turns the accuracy drops into per-player values.
 */

/** 'reference': cumulative drops from the full supernet, whole walk (released code); 'shapley': marginal drops with truncation. */
export type ContributionMode = 'reference' | 'shapley';

/** Accuracies of one supernet state, fractions in [0, 1]. */
export interface AccuracyPair {
  clean: number;
  adversarial: number;
}

/** Measures one permutation's walk; stateful (it may cache activations between calls). */
export interface PermutationScorer {
  /**
   * Accuracies with the first t players of `order` removed, for t = from .. from+count-1 (t=0: full supernet).
   * Calls for one permutation come with increasing, contiguous `from`.
   */
  prefixes(order: readonly number[], from: number, count: number): Promise<AccuracyPair[]>;
  dispose?(): void;
}

export interface EstimateOptions {
  mode: ContributionMode;
  /** S, the number of sampled permutations (10 in the paper). */
  permutations: number;
  /** Draws the permutations (one Fisher-Yates shuffle of 0..223 each, in order). */
  rng: Rng;
  /** Prefixes per scorer call, default 8. */
  chunk?: number;
  /**
   * Permutations walked at once (default 1): with scorers on different engine threads they run in parallel.
   * The result does not depend on it: every walk is combined in permutation order.
   */
  concurrency?: number;
  signal?: AbortSignal;
  /**
   * Progress in prefixes of the untruncated walks: `total` = permutations * 225; a permutation that stops early
   * by truncation counts as complete when it ends.
   */
  onProgress?(done: number, total: number): void;
}

export interface ContributionEstimate {
  /** Per player (224), mean over permutations of z(clean drops) + z(adversarial drops). */
  values: Float64Array;
  /** Mean raw clean drops per player, for reports. */
  clean: Float64Array;
  /** Mean raw adversarial drops per player, for reports. */
  adversarial: Float64Array;
  /** How many prefixes were measured, including t = 0 and any chunk overshoot past truncation. */
  prefixEvaluations: number;
  /** permutations * (224 + 1): what walking every permutation in full would measure. */
  naivePrefixEvaluations: number;
  /**
   * Per permutation, the prefix length where the walk stopped being informative: 224 for a full walk (always in
   * reference mode), else the prefix length at which the later of the two series was truncated (0 if both full
   * accuracies were 0).
   */
  truncatedAt: number[];
}

/** Prefix lengths of one full walk: t = 0 (full supernet) .. 224 (every player removed). */
const WALK_LENGTH = PLAYER_COUNT + 1;

/** The drops of one accuracy series (clean or adversarial) along one permutation. */
class SeriesWalk {
  readonly drops = new Float64Array(PLAYER_COUNT);
  /** Prefix length at which this series was truncated (Shapley mode only), or null while it runs. */
  truncatedAt: number | null = null;
  private full = Number.NaN;
  private previous = Number.NaN;

  constructor(private readonly mode: ContributionMode) {}

  /** Takes the accuracy after removing the first `t` players; `player` is the one removed at step t (t >= 1). */
  observe(t: number, accuracy: number, player: number): void {
    if (t === 0) {
      this.full = accuracy;
      this.previous = accuracy;
      // With a full accuracy of 0 there is nothing to lose: the threshold 0/2 could never be crossed, and every
      // marginal would be <= 0 noise, so the series is truncated from the start (all drops 0).
      if (this.mode === 'shapley' && !(accuracy > 0)) this.truncatedAt = 0;
      return;
    }
    if (this.truncatedAt !== null) return;
    this.drops[player] = this.mode === 'reference' ? this.full - accuracy : this.previous - accuracy;
    this.previous = accuracy;
    // The player whose removal crosses the threshold keeps its marginal; the ones after it get 0.
    if (this.mode === 'shapley' && accuracy < this.full / 2) this.truncatedAt = t;
  }
}

/** The error thrown when `signal` aborts the estimation. */
function cancelled(signal: AbortSignal): Error {
  const error = new Error('contribution estimation was cancelled', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

function checkAccuracy(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`${what} must be a fraction in [0, 1], got ${String(value)}`);
  }
  return value;
}

function validate(options: EstimateOptions): number {
  if (options.mode !== 'reference' && options.mode !== 'shapley') {
    throw new RangeError(`contribution mode must be 'reference' or 'shapley', got ${String(options.mode)}`);
  }
  if (!Number.isInteger(options.permutations) || options.permutations <= 0) {
    throw new RangeError(`permutations must be a positive integer, got ${String(options.permutations)}`);
  }
  const chunk = options.chunk ?? 8;
  if (!Number.isInteger(chunk) || chunk <= 0) {
    throw new RangeError(`chunk (prefixes per scorer call) must be a positive integer, got ${String(chunk)}`);
  }
  if (typeof options.rng?.nextInt !== 'function') throw new TypeError('options.rng must be an Rng');
  return chunk;
}

interface WalkResult {
  clean: SeriesWalk;
  adversarial: SeriesWalk;
  measured: number;
  stoppedAt: number;
}

/** Walks one permutation through `scorer`, `chunk` prefixes per call, until the end or until both series truncate. */
async function walkPermutation(
  scorer: PermutationScorer,
  order: readonly number[],
  index: number,
  chunk: number,
  options: EstimateOptions,
  onAdvance: (prefixesDone: number) => void,
): Promise<WalkResult> {
  const clean = new SeriesWalk(options.mode);
  const adversarial = new SeriesWalk(options.mode);
  const done = (): boolean => clean.truncatedAt !== null && adversarial.truncatedAt !== null;
  let from = 0;
  while (from < WALK_LENGTH && !done()) {
    if (options.signal?.aborted) throw cancelled(options.signal);
    const count = Math.min(chunk, WALK_LENGTH - from);
    const pairs: unknown = await scorer.prefixes(order, from, count);
    if (!Array.isArray(pairs) || pairs.length !== count) {
      throw new RangeError(
        `scorer of permutation ${index} returned ${Array.isArray(pairs) ? pairs.length : typeof pairs} results ` +
          `for prefixes ${from}..${from + count - 1}; expected ${count}`,
      );
    }
    pairs.forEach((pair: Partial<AccuracyPair> | undefined, k) => {
      const t = from + k;
      const where = `permutation ${index}, prefix ${t}`;
      const player = t === 0 ? -1 : (order[t - 1] as number);
      clean.observe(t, checkAccuracy(pair?.clean, `clean accuracy (${where})`), player);
      adversarial.observe(t, checkAccuracy(pair?.adversarial, `adversarial accuracy (${where})`), player);
    });
    from += count;
    onAdvance(from);
  }
  const stoppedAt = done() ? Math.max(clean.truncatedAt as number, adversarial.truncatedAt as number) : PLAYER_COUNT;
  return { clean, adversarial, measured: from, stoppedAt };
}

/**
 * Runs walk(0 .. count-1) with at most `concurrency` at once, in index order of starting; resolves with the results
 * in index order. After a failure no new walk starts, the running ones finish, and the first error is thrown.
 */
async function walkAll(
  count: number,
  concurrency: number,
  walk: (index: number) => Promise<WalkResult>,
): Promise<WalkResult[]> {
  const results = new Array<WalkResult>(count);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (next < count && !failure) {
      const index = next++;
      try {
        results[index] = await walk(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  if (failure) throw failure.error;
  return results;
}

/**
 * Estimates every player's contribution over `options.permutations` random permutations, each walked by the
 * scorer `scorerFor(index)` returns (disposed after its walk, also on errors).
 */
export async function estimateContributions(
  scorerFor: (permutation: number) => Promise<PermutationScorer>,
  options: EstimateOptions,
): Promise<ContributionEstimate> {
  const chunk = validate(options);
  const permutations = options.permutations;
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(options.concurrency)}`);
  }
  const values = new Float64Array(PLAYER_COUNT);
  const clean = new Float64Array(PLAYER_COUNT);
  const adversarial = new Float64Array(PLAYER_COUNT);
  const truncatedAt: number[] = [];
  let prefixEvaluations = 0;

  // Drawn up front and in order, so the permutations depend only on the rng state, whatever the concurrency.
  const orders = Array.from({ length: permutations }, () =>
    Object.freeze(
      shuffleInPlace(
        Array.from({ length: PLAYER_COUNT }, (_, i) => i),
        options.rng,
      ),
    ),
  );
  // Prefixes walked per permutation; progress is their sum (a truncated walk counts as complete when it ends).
  const progress = new Array<number>(permutations).fill(0);
  const report = (s: number, prefixesDone: number): void => {
    progress[s] = prefixesDone;
    options.onProgress?.(
      progress.reduce((a, b) => a + b, 0),
      permutations * WALK_LENGTH,
    );
  };
  const walkOne = async (s: number): Promise<WalkResult> => {
    if (options.signal?.aborted) throw cancelled(options.signal);
    const scorer = await scorerFor(s);
    try {
      const walk = await walkPermutation(scorer, orders[s] as readonly number[], s, chunk, options, (n) =>
        report(s, n),
      );
      if (walk.measured < WALK_LENGTH) report(s, WALK_LENGTH);
      return walk;
    } finally {
      scorer.dispose?.();
    }
  };
  const walks = await walkAll(permutations, concurrency, walkOne);
  for (const walk of walks) {
    const zClean = zScore(walk.clean.drops);
    const zAdversarial = zScore(walk.adversarial.drops);
    for (let p = 0; p < PLAYER_COUNT; p++) {
      values[p] = (values[p] as number) + (zClean[p] as number) + (zAdversarial[p] as number);
      clean[p] = (clean[p] as number) + (walk.clean.drops[p] as number);
      adversarial[p] = (adversarial[p] as number) + (walk.adversarial.drops[p] as number);
    }
    prefixEvaluations += walk.measured;
    truncatedAt.push(walk.stoppedAt);
  }
  for (let p = 0; p < PLAYER_COUNT; p++) {
    values[p] = (values[p] as number) / permutations;
    clean[p] = (clean[p] as number) / permutations;
    adversarial[p] = (adversarial[p] as number) / permutations;
  }
  return {
    values,
    clean,
    adversarial,
    prefixEvaluations,
    naivePrefixEvaluations: permutations * WALK_LENGTH,
    truncatedAt,
  };
}
