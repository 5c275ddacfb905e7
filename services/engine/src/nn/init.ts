import * as tf from '@tensorflow/tfjs-core';

/** Makes the initial value of a variable of `shape`; `seed` is derived from the base seed and the variable's name. */
export type Initializer = (shape: readonly number[], seed: number) => tf.Tensor;

/** All zeros (BN shift, running mean). */
export const zerosInit: Initializer = (shape) => tf.zeros([...shape]);

/** All ones (BN scale, running variance). */
export const onesInit: Initializer = (shape) => tf.ones([...shape]);

/** Seeded U(-bound, bound). */
export function uniformInit(bound: number): Initializer {
  return (shape, seed) => tf.randomUniform([...shape], -bound, bound, 'float32', seed);
}

/**
 * PyTorch's default for conv and linear weights and biases (kaiming_uniform with a = sqrt(5)):
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)). Used so that a network starts as the reference one does.
 */
export function fanInUniformInit(fanIn: number): Initializer {
  return uniformInit(1 / Math.sqrt(fanIn));
}

/**
 * Seed of one variable: a 32-bit FNV-1a hash of the base seed and the variable's hierarchical name,
 * so a variable's initial value depends only on (seed, name), not on creation order.
 */
export function deriveSeed(baseSeed: number, name: string): number {
  let hash = 0x811c9dc5;
  const text = `${baseSeed}/${name}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
