import * as tf from '@tensorflow/tfjs-core';

/**
 * DARTS drop-path: zeroes whole samples with probability `prob` and scales the kept ones by
 * 1 / (1 - prob), so the expectation is unchanged. `random` draws one number in [0, 1) per sample
 * (a sample is kept when it is below 1 - prob). Returns `x` itself when `prob` is 0.
 */
export function dropPath(x: tf.Tensor4D, prob: number, random: () => number = Math.random): tf.Tensor4D {
  const mask = dropPathMask(x.shape[0], prob, random);
  return mask ? applyDropPath(x, mask) : x;
}

/**
 * The per-sample factors dropPath multiplies `n` samples by (0 or 1 / (1 - prob)), drawing `n` numbers from
 * `random` as it does; undefined when `prob` is 0 (nothing drawn).
 */
export function dropPathMask(n: number, prob: number, random: () => number = Math.random): Float32Array | undefined {
  if (!(prob >= 0 && prob < 1)) throw new Error(`drop-path probability must be in [0, 1), got ${prob}`);
  if (prob === 0) return undefined;
  const keep = 1 - prob;
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = random() < keep ? 1 / keep : 0;
  return mask;
}

/** `x` with each sample multiplied by its factor in `mask` (from dropPathMask). */
export function applyDropPath(x: tf.Tensor4D, mask: Float32Array): tf.Tensor4D {
  const n = x.shape[0];
  if (mask.length !== n) throw new Error(`drop-path mask of ${mask.length} samples for a batch of ${n}`);
  return tf.tidy(() => tf.mul(x, tf.tensor4d(mask, [n, 1, 1, 1])));
}
