import * as tf from '@tensorflow/tfjs-core';
import { lossAndGradient, preflight } from './gradient.js';
import { randomLinfStart, signStep } from './linf.js';
import { crossEntropyLoss } from './losses.js';
import { Rng } from '../random.js';
import { checkBatch, checkEpsilon, checkPositive, checkSeed, type Classifier } from './types.js';

/** Settings of FGSM. */
export interface FgsmOptions {
  epsilon: number;
  /** Step size; defaults to epsilon (plain FGSM). Fast FGSM training (Wong et al. 2020) uses ~1.25 * epsilon with a random start. */
  stepSize?: number;
  /** Start from a uniform random point of the epsilon-ball instead of the input (default false). */
  randomStart?: boolean;
  /** Seed of the random start (default 0). */
  seed?: number;
}

/**
 * Fast gradient sign method: one signed-gradient step on the cross-entropy, projected to the
 * epsilon-ball and [0, 1]. Returns the adversarial batch (the caller disposes it).
 */
export async function fgsm(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: FgsmOptions,
): Promise<tf.Tensor4D> {
  const { epsilon, randomStart = false, seed = 0 } = options;
  const stepSize = options.stepSize ?? epsilon;
  await checkBatch(x, y);
  checkEpsilon(epsilon);
  checkPositive(stepSize, 'stepSize');
  checkSeed(seed);
  await preflight(model, crossEntropyLoss, x, y);
  const start = randomStart ? randomLinfStart(x, epsilon, new Rng(seed)) : x;
  const { logits, loss, grad } = lossAndGradient(model, crossEntropyLoss, start, y);
  try {
    return signStep(start, grad, stepSize, x, epsilon);
  } finally {
    tf.dispose([logits, loss, grad]);
    if (start !== x) start.dispose();
  }
}
