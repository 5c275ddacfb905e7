import * as tf from '@tensorflow/tfjs-core';
import { paddingExcludedScale } from './conv-geometry.js';

/**
 * 3x3 average pooling with padding 1 that excludes the padding from each window's count (PyTorch's
 * count_include_pad=False), built from an explicit pad and a 'valid' pool so that forward and backward agree
 * on every backend, whatever its padded AvgPool and AvgPoolGrad kernels assume.
 */
export function avgPool3x3ExcludePad(x: tf.Tensor4D, strides: 1 | 2): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`avgPool3x3ExcludePad: x must be rank 4, got ${x.rank}`);
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(x.shape, 3, strides, 1, 1);
    const padded = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    return tf.mul(tf.avgPool(padded, 3, strides, 'valid'), paddingExcludedScale(info));
  });
}
