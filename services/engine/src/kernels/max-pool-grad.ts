import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';

/**
 * dx of a 2-D max pool (NHWC) given its output: each window's dy goes to the first cell, in row-major window
 * order, that equals the window's maximum (TensorFlow's and tfjs-backend-cpu's choice on ties). Padding acts as
 * -infinity: it is never read and never receives gradient. A window whose maximum is -infinity or NaN passes
 * no gradient, as on cpu.
 *
 * A plain-JS pass over the windows: with the maximum known, each window is scanned only up to its first match
 * (about half the cells on average) with a predictable branch, which beats both the native wasm kernel and any
 * composition of wasm ops (each of which sweeps whole tensors, k*k times over).
 */
export function maxPoolBackprop(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  output: tf.Tensor4D,
  attrs: tf.MaxPoolGradAttrs,
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  const expected = [n, ho, wo, c].join(', ');
  for (const [name, t] of [
    ['dy', dy],
    ['output', output],
  ] as const) {
    if (t.shape.join(', ') !== expected) {
      throw new Error(`MaxPoolGrad: ${name} has shape [${t.shape.join(', ')}], expected [${expected}]`);
    }
  }
  const xs = x.dataSync() as Float32Array;
  const ys = output.dataSync() as Float32Array;
  const dys = dy.dataSync() as Float32Array;
  const dx = new Float32Array(xs.length);
  const rowStride = w * c;
  let out = 0; // flat index of (b, i, j, 0) in dy and output
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      // The window's in-bounds rows and columns; the rest is padding.
      const r0 = Math.max(i * info.strideHeight - top, 0);
      const r1 = Math.min(i * info.strideHeight - top + info.filterHeight, h);
      for (let j = 0; j < wo; j++, out += c) {
        const q0 = Math.max(j * info.strideWidth - left, 0);
        const q1 = Math.min(j * info.strideWidth - left + info.filterWidth, w);
        const corner = ((b * h + r0) * w + q0) * c;
        const end = corner + (r1 - r0) * rowStride;
        const rowLength = (q1 - q0) * c;
        for (let ch = 0; ch < c; ch++) {
          const max = ys[out + ch] as number;
          if (!(max > -Infinity)) continue;
          search: for (let row = corner + ch; row < end; row += rowStride) {
            for (let k = row; k < row + rowLength; k += c) {
              if (xs[k] === max) {
                dx[k] = (dx[k] as number) + (dys[out + ch] as number);
                break search;
              }
            }
          }
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

/**
 * wasm MaxPoolGrad. tfjs-backend-wasm 4.22's starts each window's search at FLT_MIN instead of -infinity, so the
 * gradient of every window whose maximum is not positive is lost or misplaced.
 */
export const maxPoolGradKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'MaxPoolGrad',
    kernelFunc: ({ inputs, attrs }) =>
      maxPoolBackprop(
        tensorInput(inputs, 'dy'),
        tensorInput(inputs, 'input'),
        tensorInput(inputs, 'output'),
        attrs as unknown as tf.MaxPoolGradAttrs,
      ),
  },
];
