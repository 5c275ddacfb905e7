import * as tf from '@tensorflow/tfjs-core';

/** Output length of a k-window at `stride` over `size` positions with `pad` zeros on both ends. */
export function pooledSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}

/**
 * For each output position, how many window positions fall inside the input (1-D):
 * the divisor of an average that excludes the padding.
 */
function validCounts(size: number, kernel: number, stride: number, pad: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < pooledSize(size, kernel, stride, pad); i++) {
    const start = i * stride - pad;
    out.push(Math.min(size, start + kernel) - Math.max(0, start));
  }
  return out;
}

/**
 * k x k average pooling with `pad` zeros on each side that divides by the number of real
 * (non-padding) pixels in each window, as PyTorch's `count_include_pad=False`.
 * TF.js's own padded avgPool excludes the padding going forward but its gradient divides by k*k,
 * so this pads explicitly, pools without padding and rescales by k*k / count: forward and
 * gradient agree on every backend.
 */
export function avgPoolExcludePad(x: tf.Tensor4D, kernel: number, stride: number, pad: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  return tf.tidy(() => {
    const padded =
      pad > 0
        ? tf.pad(x, [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ])
        : x;
    const pooled = tf.avgPool(padded, kernel, stride, 'valid');
    if (pad === 0) return pooled;
    const rows = validCounts(h, kernel, stride, pad);
    const cols = validCounts(w, kernel, stride, pad);
    const scale = new Float32Array(rows.length * cols.length);
    rows.forEach((r, i) => cols.forEach((c, j) => (scale[i * cols.length + j] = (kernel * kernel) / (r * c))));
    return tf.mul(pooled, tf.tensor4d(scale, [1, rows.length, cols.length, 1]));
  });
}

/** k x k max pooling with `pad` on each side; padding never wins (it acts as -infinity). */
export function maxPoolPadded(x: tf.Tensor4D, kernel: number, stride: number, pad: number): tf.Tensor4D {
  return tf.maxPool(x, kernel, stride, pad);
}
