import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random.js';

/** Makes the initial value of a variable of `shape`; `seed` is derived from the base seed and the variable's name (seedFromName). */
export type Initializer = (shape: readonly number[], seed: number) => tf.Tensor;

/** All zeros (BN shift, running mean). */
export const zerosInit: Initializer = (shape) => tf.zeros([...shape]);

/** All ones (BN scale, running variance). */
export const onesInit: Initializer = (shape) => tf.ones([...shape]);

/** Seeded U(-bound, bound), drawn by the engine's Rng: the same values on every backend. */
export function uniformInit(bound: number): Initializer {
  return (shape, seed) => {
    const values = new Rng(seed).fillUniform(new Float32Array(tf.util.sizeFromShape([...shape])), -bound, bound);
    return tf.tensor(values, [...shape]);
  };
}

/**
 * PyTorch's default for conv and linear weights and biases (kaiming_uniform with a = sqrt(5)):
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)). Used so that a network starts as the reference one does.
 */
export function fanInUniformInit(fanIn: number): Initializer {
  return uniformInit(1 / Math.sqrt(fanIn));
}
