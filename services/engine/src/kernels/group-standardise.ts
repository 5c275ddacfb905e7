import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { heapFloats, wasmBackend } from './wasm-heap.js';
import { sumRows } from './wasm-reduce.js';
import { PeriodicLanes, pointers, simdKernels } from './wasm-simd.js';

/** The engine's kernel of BatchNorm2d's group standardisation (inference with batch statistics). */
export const GROUP_STANDARDISE = 'EngineGroupStandardise';

interface GroupStandardiseAttrs {
  groups: number;
  eps: number;
}

/**
 * (x - mean) / sqrt(var + eps) of NHWC `x` with the biased mean and variance over each of `groups` consecutive equal
 * parts of the batch (and H, W), per channel, as tf.moments, add, rsqrt, sub and mul compute it, written as those
 * ops; `groups` divides the batch. The composed form, on every backend; the wasm kernel gives its bits.
 */
export function composedGroupStandardise(x: tf.Tensor4D, groups: number, eps: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const grouped = tf.reshape(x, [groups, (n / groups) * h * w, c]);
    const { mean, variance } = tf.moments(grouped, 1, true);
    return tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, eps))), [n, h, w, c]);
  });
}

/**
 * The per-group mean of squared deviations over `rows` rows of `inner` values from `start`, as the wasm Mean of
 * tf.moments sums them (wasm-reduce.ts sumRows: in double precision, rows in order, each term (x - mean)^2 / rows
 * rounded to float32, the deviation and its square rounded to float32 first, as Sub and Square give them).
 */
function centredSquareMeans(
  x: Float32Array,
  start: number,
  rows: number,
  inner: number,
  mean: Float32Array,
  meanStart: number,
  out: Float32Array,
  outStart: number,
): void {
  const acc = new Float64Array(inner);
  for (let r = 0; r < rows; r++) {
    const base = start + r * inner;
    for (let c = 0; c < inner; c++) {
      const d = Math.fround((x[base + c] as number) - (mean[meanStart + c] as number));
      acc[c] = (acc[c] as number) + Math.fround(Math.fround(d * d) / rows);
    }
  }
  out.set(acc, outStart);
}

/**
 * wasm: the statistics with the roundings and order of the ops it replaces (Mean as wasm-reduce.ts computes it,
 * Sub, Square), in SIMD for channels a multiple of 4 and in JavaScript otherwise, 1 / sqrt through the backend's own Add and Rsqrt on the [groups, C] variances, then
 * (x - mean) * rstd in one SIMD pass per group (wasm/kernels.ts periodicCenterScale): the bits of
 * composedGroupStandardise, where its Sub and Mul broadcast over the batch slowly and Mean, Sub, Square, Mean, Sub
 * and Mul each took a pass over x (about 40 % of a contribution estimate's kernel time).
 */
export const wasmGroupStandardiseKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: GROUP_STANDARDISE,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const x = tensorInput<tf.Rank.R4>(inputs, 'x');
    const { groups, eps } = attrs as unknown as GroupStandardiseAttrs;
    const [n, h, w, c] = x.shape;
    const rows = (n / groups) * h * w;
    const wasm = wasmBackend(backend);
    const mean = new Float32Array(groups * c);
    const variance = new Float32Array(groups * c);
    const lanes = new PeriodicLanes(wasm, c);
    const [pM, pF] = lanes.patterns;
    const kernels = simdKernels(wasm);
    if (c % 4 === 0) {
      // The same sums in SIMD (wasm/kernels.ts channelMeans), four channels a lane each: a lane period of C keeps
      // every channel's sum in one lane, in row order.
      const [px] = pointers(wasm, x) as [number];
      const sums = (g: number, centred: boolean, out: Float32Array): void => {
        kernels.channelMeans(px + g * rows * c * 4, rows, c, centred ? pM : 0, lanes.out64);
        out.set(new Float64Array(wasm.wasm.HEAPU8.buffer, lanes.out64, c), g * c);
      };
      for (let g = 0; g < groups; g++) {
        sums(g, false, mean);
        lanes.setPattern(0, mean.subarray(g * c, (g + 1) * c));
        sums(g, true, variance);
      }
    } else {
      const xs = heapFloats(wasm, x);
      for (let g = 0; g < groups; g++) {
        sumRows(xs, g * rows * c, rows, c, true, mean, g * c);
        centredSquareMeans(xs, g * rows * c, rows, c, mean, g * c, variance, g * c);
      }
    }
    const rstd = tf.tidy(() => tf.rsqrt(tf.add(tf.tensor3d(variance, [groups, 1, c]), eps)));
    // Copied off the heap (the kernel runs on wasm, where the tensor lives): no synchronous read (sync-reads.test.ts),
    // and a copy, since makeOutput below may grow the heap and detach a view.
    const factors = heapFloats(wasm, rstd).slice();
    rstd.dispose();
    const y = wasm.makeOutput(x.shape, 'float32');
    const [px, py] = pointers(wasm, x, y) as [number, number];
    for (let g = 0; g < groups; g++) {
      lanes.setPattern(0, mean.subarray(g * c, (g + 1) * c));
      lanes.setPattern(1, factors.subarray(g * c, (g + 1) * c));
      kernels.periodicCenterScale(px + g * rows * c * 4, py + g * rows * c * 4, pM, pF, rows * c, lanes.period);
    }
    lanes.dispose();
    return y;
  },
};
