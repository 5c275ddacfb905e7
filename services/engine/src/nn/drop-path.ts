import * as tf from '@tensorflow/tfjs-core';

/**
 * DARTS drop-path: zeroes whole samples with probability `prob` and scales the kept ones by
 * 1 / (1 - prob), so the expectation is unchanged. `random` draws one number in [0, 1) per sample
 * (a sample is kept when it is below 1 - prob). Returns `x` itself when `prob` is 0.
 */
export function dropPath(x: tf.Tensor4D, prob: number, random: () => number = Math.random): tf.Tensor4D {
  if (!(prob >= 0 && prob < 1)) throw new Error(`drop-path probability must be in [0, 1), got ${prob}`);
  if (prob === 0) return x;
  const keep = 1 - prob;
  const n = x.shape[0];
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = random() < keep ? 1 / keep : 0;
  return tf.tidy(() => tf.mul(x, tf.tensor4d(mask, [n, 1, 1, 1])));
}
