import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { takeData } from '../read.js';

/**
 * A model under attack: NHWC images in [0, 1] to logits [batch, classes], in inference mode
 * (so that each example's logits depend on that example only).
 */
export type Classifier = (x: tf.Tensor4D) => tf.Tensor2D;

/** The attacks' threat model: L-inf ball of radius `epsilon` around each input, pixels in [0, 1]. */
export interface LinfThreatModel {
  norm: 'linf';
  epsilon: number;
}

/** An attack's output: adversarial examples and, per example, whether the model misclassifies them. */
export interface AttackResult {
  adversarial: tf.Tensor4D;
  success: boolean[];
}

/** Narrows a threat model from configuration (e.g. `@lrnas/schema`'s ThreatModel) to the L-inf one the attacks support. */
export function toLinfThreatModel(threat: { norm: string; epsilon: number }): LinfThreatModel {
  if (threat.norm !== 'linf')
    throw new ContractError('threatModel.norm', `the attacks support only 'linf', got '${threat.norm}'`);
  checkEpsilon(threat.epsilon, 'threatModel.epsilon');
  return { norm: 'linf', epsilon: threat.epsilon };
}

/** Rejects an L-inf radius outside (0, 1]. */
export function checkEpsilon(epsilon: number, field = 'epsilon'): void {
  if (!Number.isFinite(epsilon) || epsilon <= 0 || epsilon > 1) {
    throw new ContractError(field, `must be a number in (0, 1], got ${epsilon}`);
  }
}

/** Rejects a count that is not an integer >= min. */
export function checkCount(value: number, field: string, min = 1): void {
  if (!Number.isInteger(value) || value < min)
    throw new ContractError(field, `must be an integer >= ${min}, got ${value}`);
}

/** Rejects a step size that is not a positive finite number. */
export function checkPositive(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new ContractError(field, `must be a positive number, got ${value}`);
}

/** Rejects a seed that is not a safe integer. */
export function checkSeed(seed: number, field = 'seed'): void {
  if (!Number.isSafeInteger(seed)) throw new ContractError(field, `must be an integer, got ${seed}`);
}

/** Checks images and labels: NHWC float images in [0, 1], int32 labels, one per image. */
export async function checkBatch(x: tf.Tensor, y: tf.Tensor): Promise<void> {
  if (x.rank !== 4) throw new ContractError('x', `must be a 4-D NHWC tensor, got shape [${x.shape.join(', ')}]`);
  if (x.dtype !== 'float32') throw new ContractError('x', `must be float32, got ${x.dtype}`);
  if (y.rank !== 1) throw new ContractError('y', `must be a 1-D tensor of labels, got shape [${y.shape.join(', ')}]`);
  if (y.dtype !== 'int32') throw new ContractError('y', `must be int32, got ${y.dtype}`);
  if (y.shape[0] !== x.shape[0]) throw new ContractError('y', `has ${y.shape[0]} labels for ${x.shape[0]} images`);
  if (x.size === 0) return;
  const [lo = 0, hi = 0] = await takeData(tf.tidy(() => tf.stack([tf.min(x), tf.max(x)])));
  // Tolerate float rounding from upstream arithmetic, not data in another range (e.g. normalised).
  if (!(lo >= -1e-6 && hi <= 1 + 1e-6)) throw new ContractError('x', `pixels must lie in [0, 1], found [${lo}, ${hi}]`);
}

/** Checks logits against labels: one row per label, and every label a valid class index. */
export async function checkLogits(logits: tf.Tensor2D, y: tf.Tensor1D): Promise<void> {
  if (logits.rank !== 2 || logits.shape[0] !== y.shape[0]) {
    throw new ContractError(
      'classifier',
      `must return logits [${y.shape[0]}, classes], got [${logits.shape.join(', ')}]`,
    );
  }
  await checkLabels(logits.shape[1], y);
}

/** Checks that every label is a class index below `classes`. */
export async function checkLabels(classes: number, y: tf.Tensor1D): Promise<void> {
  for (const label of await y.data()) {
    if (!(label >= 0 && label < classes))
      throw new ContractError('y', `label ${label} is outside the classifier's ${classes} classes`);
  }
}
