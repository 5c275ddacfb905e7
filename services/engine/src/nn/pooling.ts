import * as tf from '@tensorflow/tfjs-core';

/** Average pooling that excludes the padding from each window's count (the engine's kernel, shared with nn). */
export { avgPoolExcludePad } from '../kernels/index.js';

/** k x k max pooling with `pad` on each side; padding never wins (it acts as -infinity). */
export function maxPoolPadded(x: tf.Tensor4D, kernel: number, stride: number, pad: number): tf.Tensor4D {
  return tf.maxPool(x, kernel, stride, pad);
}
