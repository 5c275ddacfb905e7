import * as tf from '@tensorflow/tfjs-core';

/**
 * The one depthwise convolution every network layer uses (NHWC, filter [k, k, C, 1]).
 * Stand-in until `src/kernels/index.ts` provides `depthwiseConv2d` with the same signature:
 * then this file becomes `export { depthwiseConv2d } from '../kernels/index.js';`.
 * tf.depthwiseConv2d refuses stride 2 together with dilation 2, so that case runs at stride 1
 * and keeps every second row and column (the same values).
 */
export function depthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: 1 | 2,
  pad: number,
  dilation: 1 | 2,
): tf.Tensor4D {
  if (strides === 2 && dilation === 2) {
    return tf.tidy(() => tf.avgPool(tf.depthwiseConv2d(x, filter, 1, pad, 'NHWC', 2), 1, 2, 'valid'));
  }
  return tf.depthwiseConv2d(x, filter, strides, pad, 'NHWC', dilation);
}
