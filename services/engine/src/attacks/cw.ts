import type * as tf from '@tensorflow/tfjs-core';
import { pgd } from './pgd.js';
import type { AttackResult, Classifier } from './types.js';

/** Settings of the CW-inf attack. */
export interface CwOptions {
  epsilon: number;
  /** Gradient steps (default 100). */
  steps?: number;
  /** Step size (default epsilon / 4). */
  stepSize?: number;
  /** Confidence cap of the margin loss (default 0: stop pushing once misclassified). */
  kappa?: number;
  /** Independent random restarts (default 1). */
  restarts?: number;
  /** Start uniformly in the epsilon-ball (default true). */
  randomStart?: boolean;
  /** Seed of the random starts (default 0). */
  seed?: number;
}

/**
 * CW-inf: PGD ascending the Carlini-Wagner margin min(max_{i != y} z_i - z_y, kappa), keeping per
 * example the worst case found. The caller disposes `adversarial`.
 */
export function cwLinf(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, options: CwOptions): Promise<AttackResult> {
  return pgd(model, x, y, { ...options, steps: options.steps ?? 100, loss: 'margin', returnSuccess: true });
}
