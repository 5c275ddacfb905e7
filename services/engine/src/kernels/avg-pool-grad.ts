import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { heapFloats, wasmBackend } from './wasm-heap.js';
import { simdDepthwise } from './wasm-simd.js';

/**
 * wasm AvgPoolGrad as one SIMD kernel (wasm/kernels.ts depthwise): every window's dy divided by the full
 * window size goes to each of its cells, which is the input gradient of a depthwise convolution whose taps are all
 * 1 / (kh kw). No upsampled or padded copy of dy (a composition of pad, pool and pad took three), and the native
 * wasm kernel was about 3x slower than that composition.
 */
function wasmAvgPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, attrs: tf.AvgPoolGradAttrs, backend: unknown): tf.TensorInfo {
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad);
  const expected = [info.batchSize, info.outHeight, info.outWidth, info.inChannels].join(', ');
  if (dy.shape.join(', ') !== expected) {
    throw new Error(`AvgPoolGrad: dy has shape [${dy.shape.join(', ')}], expected [${expected}]`);
  }
  const { filterHeight: kh, filterWidth: kw, inChannels: c } = info;
  const wasm = wasmBackend(backend);
  const dx = wasm.makeOutput(x.shape, 'float32');
  const taps = wasm.makeOutput([kh, kw, c, 1], 'float32');
  heapFloats(wasm, taps).fill(1 / (kh * kw));
  simdDepthwise(wasm, 'DEPTHWISE_INPUT_GRAD', [dy, taps, dx], info);
  wasm.disposeData(taps.dataId, true);
  return dx;
}

/** wasm AvgPoolGrad (the native kernel is slow). */
export const avgPoolGradKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'AvgPoolGrad',
    kernelFunc: ({ inputs, attrs, backend }) =>
      wasmAvgPoolGrad(
        tensorInput(inputs, 'dy'),
        tensorInput(inputs, 'input'),
        attrs as unknown as tf.AvgPoolGradAttrs,
        backend,
      ),
  },
];
