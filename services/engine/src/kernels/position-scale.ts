import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { heapFloats, wasmBackend } from './wasm-heap.js';
import { pointers, simdKernels } from './wasm-simd.js';

/*
 * x [N, H, W, C] times a factor per position (h, w), the same for every image and channel: what turns the average
 * pool's mean over the full window into PyTorch's mean over the cells inside the image. tfjs's broadcasting
 * Multiply took about 2.5 ns per value on wasm (7% of a supernet forward pass); this is one SIMD pass over the
 * factors repeated per channel (wasm/kernels.ts periodicAffine), and its own gradient.
 */

/** Inputs: x; attrs: `factors`, H x W values (row-major). Output: x times each position's factor. */
export const POSITION_SCALE = 'EnginePositionScale';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function wasmPositionScale(x: tf.TensorInfo, factors: ArrayLike<number>, backend: unknown): tf.TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  if (factors.length !== h * w) {
    throw new Error(`${POSITION_SCALE}: ${factors.length} factors for ${h}x${w} positions`);
  }
  const wasm = wasmBackend(backend);
  const plane = h * w * c;
  // Whole vectors per repetition of the pattern: lcm(plane, 4) values, the pattern followed by as many zeros.
  const period = (plane * 4) / gcd(plane, 4);
  const out = wasm.makeOutput(x.shape, 'float32');
  const scratch = wasm.makeOutput([2 * period], 'float32');
  const patterns = heapFloats(wasm, scratch);
  for (let q = 0; q < period; q++) patterns[q] = factors[Math.floor((q % plane) / c)] as number;
  patterns.fill(0, period);
  const [px, po, pp] = pointers(wasm, x, out, scratch) as [number, number, number];
  const size = n * plane;
  const whole = size - (size % period);
  simdKernels(wasm).periodicAffine(px, 0, po, pp, pp, pp + 4 * period, whole, period);
  // The last images that do not fill a whole period, value by value (x f + 0, as the SIMD pass rounds it).
  const [xs, os] = [heapFloats(wasm, x), heapFloats(wasm, out)];
  for (let i = whole; i < size; i++) os[i] = Math.fround((xs[i] as number) * (patterns[i % period] as number)) + 0;
  wasm.disposeData(scratch.dataId, true);
  return out;
}

/** The wasm kernel (other backends multiply by a broadcast tensor). */
export const positionScaleKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: POSITION_SCALE,
  kernelFunc: ({ inputs, attrs, backend }) =>
    wasmPositionScale(tensorInput(inputs, 'x'), (attrs as unknown as { factors: number[] }).factors, backend),
};

/** `x` times `factors[h W + w]` at every position (h, w), differentiable in x (the gradient scales dy alike). */
export function scaleByPosition(x: tf.Tensor4D, factors: Float32Array): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (!tf.getKernel(POSITION_SCALE, tf.getBackend())) return tf.mul(x, tf.tensor4d(factors, [1, h, w, 1]));
  const attrs = { factors: Array.from(factors) } as unknown as tf.NamedAttrMap;
  const scale = (t: tf.Tensor): tf.Tensor => tf.engine().runKernel(POSITION_SCALE, { x: t }, attrs) as tf.Tensor;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: scale(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => scale(dy),
  }));
  return op(x) as tf.Tensor4D;
}
