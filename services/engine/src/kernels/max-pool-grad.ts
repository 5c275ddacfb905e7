import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { heapFloats, wasmBackend } from './wasm-heap.js';

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
  const info = poolInfo(dy, x, output, attrs);
  const dx = new Float32Array(x.size);
  scatterToMaxima(
    x.dataSync() as Float32Array,
    output.dataSync() as Float32Array,
    dy.dataSync() as Float32Array,
    dx,
    info,
  );
  return tf.tensor4d(dx, x.shape);
}

function poolInfo(
  dy: tf.TensorInfo,
  x: tf.TensorInfo,
  output: tf.TensorInfo,
  attrs: tf.MaxPoolGradAttrs,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.inChannels].join(', ');
  for (const [name, t] of [
    ['dy', dy],
    ['output', output],
  ] as const) {
    if (t.shape.join(', ') !== expected) {
      throw new Error(`MaxPoolGrad: ${name} has shape [${t.shape.join(', ')}], expected [${expected}]`);
    }
  }
  return info;
}

/** Adds each window's dy to the first cell of the window equal to its maximum; `dx` must start zeroed. */
function scatterToMaxima(
  xs: Float32Array,
  ys: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
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
}

/**
 * wasm MaxPoolGrad. tfjs-backend-wasm 4.22's starts each window's search at FLT_MIN instead of -infinity, so the
 * gradient of every window whose maximum is not positive is lost or misplaced.
 */
export const maxPoolGradKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'MaxPoolGrad',
    // Reads and writes the wasm heap in place (no copies of x, the output, dy and dx through JS arrays).
    kernelFunc: ({ inputs, attrs, backend }) => {
      const [dy, x, output] = [tensorInput(inputs, 'dy'), tensorInput(inputs, 'input'), tensorInput(inputs, 'output')];
      const info = poolInfo(dy, x, output, attrs as unknown as tf.MaxPoolGradAttrs);
      const wasm = wasmBackend(backend);
      const dx = wasm.makeOutput(x.shape, 'float32');
      const dxs = heapFloats(wasm, dx);
      dxs.fill(0);
      scatterToMaxima(heapFloats(wasm, x), heapFloats(wasm, output), heapFloats(wasm, dy), dxs, info);
      return dx;
    },
  },
];
