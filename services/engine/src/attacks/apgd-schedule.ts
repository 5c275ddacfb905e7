import { checkCount } from './types.js';

/**
 * APGD's checkpoints for `nIter` iterations (Croce & Hein 2020): w_j = ceil(p_j * nIter) with
 * p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), for every p_j <= 1.
 * Returned strictly increasing and starting with w_0 = 0 (repeats from rounding are dropped).
 */
export function apgdCheckpoints(nIter: number): number[] {
  checkCount(nIter, 'steps');
  // The p_j are multiples of 0.01: work in hundredths so that no float rounding shifts a ceiling.
  const hundredths = [0, 22];
  for (;;) {
    const last = hundredths[hundredths.length - 1] ?? 0;
    const before = hundredths[hundredths.length - 2] ?? 0;
    const next = last + Math.max(last - before - 3, 6);
    if (next > 100) break;
    hundredths.push(next);
  }
  const checkpoints: number[] = [];
  for (const p of hundredths) {
    const w = Math.ceil((p * nIter) / 100);
    if (checkpoints[checkpoints.length - 1] !== w) checkpoints.push(w);
  }
  return checkpoints;
}

/** What APGD knows about one example at a checkpoint w_j. */
export interface CheckpointState {
  /** Steps i in [w_{j-1}, w_j) whose loss rose: f(x_{i+1}) > f(x_i). */
  increases: number;
  /** w_j - w_{j-1}. */
  span: number;
  /** Whether the step size was halved at w_{j-1}. */
  halvedBefore: boolean;
  /** Best loss so far, and as it was at w_{j-1}. */
  bestLoss: number;
  bestLossBefore: number;
}

/**
 * APGD's halving rule at a checkpoint: condition 1, fewer than rho * span successful increases since
 * the last checkpoint; or condition 2, step size not halved then and best loss unchanged since.
 */
export function shouldHalve(state: CheckpointState, rho: number): boolean {
  const fewIncreases = state.increases < rho * state.span;
  const stalled = !state.halvedBefore && !(state.bestLoss > state.bestLossBefore);
  return fewIncreases || stalled;
}
