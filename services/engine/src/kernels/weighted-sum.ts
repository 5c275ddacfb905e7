import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, heapView, wasmBackend } from './wasm-heap.js';
import { pointers, simdKernels } from './wasm-simd.js';

/** Forward: terms t0..t(n-1) of one shape -> sum over t of weights[g, t] * term t, group by group of the batch. */
export const WEIGHTED_SUM = 'EngineWeightedSum';
/** Backward: dy -> weights[g, t] * dy for every term t. */
export const WEIGHTED_SUM_GRAD = 'EngineWeightedSumGrad';

interface WeightedSumAttrs {
  /** G x n weights, group-major. */
  weights: number[];
  groups: number;
}

/** Scales group g of `x` (rows g*N .. g*N+N-1) by `scale[g]`. */
export function scaleGroups(x: tf.Tensor4D, scale: Float32Array): tf.Tensor4D {
  const groups = scale.length;
  if (groups === 1) return tf.mul(x, scale[0] as number);
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const grouped = tf.reshape(x, [groups, b / groups, h, w, c]);
    return tf.reshape(tf.mul(grouped, tf.tensor(scale, [groups, 1, 1, 1, 1])), [b, h, w, c]);
  });
}

/**
 * The supernet's mixing: sum over t of weights[g, t] * terms[t], where the batch of every term is G equal groups
 * of images and `weights` holds G rows of one weight per term (group-major). Differentiable in the terms (the
 * weights are constants). On a backend with the engine's kernel (wasm) it is one kernel each way, reading each
 * term once; elsewhere one multiply per term and an addN.
 */
export function weightedSum(terms: tf.Tensor4D[], weights: Float32Array): tf.Tensor4D {
  const n = terms.length;
  const first = terms[0];
  if (!first) throw new Error('weightedSum needs at least one term');
  if (weights.length % n !== 0) throw new Error(`weightedSum: ${weights.length} weights for ${n} terms`);
  const groups = weights.length / n;
  const shape = first.shape.join(', ');
  for (const t of terms) {
    if (t.shape.join(', ') !== shape)
      throw new Error(`weightedSum: shapes [${t.shape.join(', ')}] and [${shape}] differ`);
  }
  if (first.shape[0] % groups !== 0) throw new Error(`weightedSum: a batch of ${first.shape[0]} in ${groups} groups`);
  if (!tf.getKernel(WEIGHTED_SUM, tf.getBackend())) {
    return tf.tidy(() => {
      const scaled = terms.map((t, i) =>
        scaleGroups(
          t,
          Float32Array.from({ length: groups }, (_, g) => weights[g * n + i] as number),
        ),
      );
      return (n === 1 ? scaled[0] : tf.addN(scaled)) as tf.Tensor4D;
    });
  }
  const attrs = { weights: Array.from(weights), groups } as unknown as tf.NamedAttrMap;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const inputs: tf.NamedTensorMap = {};
    for (let i = 0; i < n; i++) inputs[`t${i}`] = args[i] as tf.Tensor;
    return {
      value: tf.engine().runKernel(WEIGHTED_SUM, inputs, attrs) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor) => tf.engine().runKernel(WEIGHTED_SUM_GRAD, { dy }, attrs) as tf.Tensor[],
    };
  });
  return op(...terms) as tf.Tensor4D;
}

/** Offsets of the tensors in the heap, written as int32 into a scratch tensor the caller frees. */
function offsetTable(wasm: ReturnType<typeof wasmBackend>, tensors: tf.TensorInfo[]): tf.TensorInfo {
  const table = wasm.makeOutput([tensors.length], 'int32');
  heapView(wasm, table).set(pointers(wasm, ...tensors));
  return table;
}

/** The two kernels on wasm (wasm/kernels.ts weightedSum and weightedSumGrad). */
export const wasmWeightedSumKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: WEIGHTED_SUM,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { weights, groups } = attrs as unknown as WeightedSumAttrs;
      const terms = Object.keys(inputs)
        .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
        .map((k) => inputs[k] as tf.TensorInfo);
      const first = terms[0] as tf.TensorInfo;
      const wasm = wasmBackend(backend);
      const out = wasm.makeOutput(first.shape, 'float32');
      const table = offsetTable(wasm, terms);
      const w = wasm.makeOutput([weights.length], 'float32');
      heapFloats(wasm, w).set(weights);
      const [pt, pw, po] = pointers(wasm, table, w, out) as [number, number, number];
      const groupSize = tf.util.sizeFromShape(first.shape) / groups;
      simdKernels(wasm).weightedSum(pt, pw, terms.length, po, groups, groupSize);
      wasm.disposeData(table.dataId, true);
      wasm.disposeData(w.dataId, true);
      return out;
    },
  },
  {
    kernelName: WEIGHTED_SUM_GRAD,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { weights, groups } = attrs as unknown as WeightedSumAttrs;
      const dy = inputs.dy as tf.TensorInfo;
      const n = weights.length / groups;
      const wasm = wasmBackend(backend);
      const outs = Array.from({ length: n }, () => wasm.makeOutput(dy.shape, 'float32'));
      const table = offsetTable(wasm, outs);
      const w = wasm.makeOutput([weights.length], 'float32');
      heapFloats(wasm, w).set(weights);
      const [pdy, pw, pt] = pointers(wasm, dy, w, table) as [number, number, number];
      const groupSize = tf.util.sizeFromShape(dy.shape) / groups;
      simdKernels(wasm).weightedSumGrad(pdy, pw, n, pt, groups, groupSize);
      wasm.disposeData(table.dataId, true);
      wasm.disposeData(w.dataId, true);
      return outs;
    },
  },
];
