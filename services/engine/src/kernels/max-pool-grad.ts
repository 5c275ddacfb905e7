import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { wasmBackend } from './wasm-heap.js';
import { pointers, simdGeometry, simdKernels } from './wasm-simd.js';

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

/**
 * wasm MaxPoolGrad. tfjs-backend-wasm 4.22's starts each window's search at FLT_MIN instead of -infinity, so the
 * gradient of every window whose maximum is not positive is lost or misplaced. Ours is one SIMD kernel over the
 * heap (wasm/kernels.ts): each window's dy goes to the first cell, in row-major window order, equal to the
 * window's maximum (TensorFlow's and tfjs-backend-cpu's choice on ties); padding is never read and never receives
 * gradient; a window whose maximum is -infinity or NaN passes none, as on cpu.
 */
export const maxPoolGradKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'MaxPoolGrad',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const [dy, x, output] = [tensorInput(inputs, 'dy'), tensorInput(inputs, 'input'), tensorInput(inputs, 'output')];
      const info = poolInfo(dy, x, output, attrs as unknown as tf.MaxPoolGradAttrs);
      const wasm = wasmBackend(backend);
      const dx = wasm.makeOutput(x.shape, 'float32');
      const [px, py, pdy, pdx] = pointers(wasm, x, output, dy, dx) as [number, number, number, number];
      simdKernels(wasm).maxPoolGrad(px, py, pdy, pdx, ...simdGeometry(info));
      return dx;
    },
  },
];
