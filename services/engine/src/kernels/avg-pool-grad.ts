import * as tf from '@tensorflow/tfjs-core';
import { padOrCrop, tensorInput, zeroUpsample } from './conv-geometry.js';

/**
 * dx of a 2-D average pool with tfjs's AvgPoolGrad semantics (every window's dy divided by the full window
 * size kh * kw, padding included), composed of fast forward ops: input row i receives the dy of every window
 * covering it, i.e. the sum of the stride-upsampled dy over rows i + top - kh + 1 .. i + top, which is a
 * stride-1 'valid' average pool of that upsampled dy shifted by kh - 1 - top. The native wasm AvgPoolGrad is
 * about 3x slower than the pad and pool this takes.
 */
export function avgPoolBackprop(dy: tf.Tensor4D, x: tf.Tensor4D, attrs: tf.AvgPoolGradAttrs): tf.Tensor4D {
  return tf.tidy(() => {
    const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad);
    const expected = [info.batchSize, info.outHeight, info.outWidth, info.inChannels].join(', ');
    if (dy.shape.join(', ') !== expected) {
      throw new Error(`AvgPoolGrad: dy has shape [${dy.shape.join(', ')}], expected [${expected}]`);
    }
    const { filterHeight: kh, filterWidth: kw } = info;
    const { top, left } = info.padInfo;
    const up = zeroUpsample(dy, info.strideHeight, info.strideWidth);
    const [, uh, uw] = up.shape;
    const shifted = padOrCrop(up, {
      top: kh - 1 - top,
      bottom: info.inHeight + top - uh,
      left: kw - 1 - left,
      right: info.inWidth + left - uw,
    });
    return tf.avgPool(shifted, [kh, kw], 1, 'valid');
  });
}

/** wasm AvgPoolGrad (the native kernel is slow). */
export const avgPoolGradKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'AvgPoolGrad',
    kernelFunc: ({ inputs, attrs }) =>
      avgPoolBackprop(tensorInput(inputs, 'dy'), tensorInput(inputs, 'input'), attrs as unknown as tf.AvgPoolGradAttrs),
  },
];
