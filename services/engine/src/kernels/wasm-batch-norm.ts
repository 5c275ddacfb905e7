import type * as tf from '@tensorflow/tfjs-core';
import { heapFloats, wasmBackend } from './wasm-heap.js';

/**
 * wasm FusedBatchNorm computed like the cpu backend's kernel: offset + (x - mean) * scale / sqrt(variance + eps)
 * in double precision, rounded once, each parameter cycling over the innermost elements. It is faster than the
 * native wasm kernel (which took ~10 ms for a [32, 32, 32, 36] batch), and the two JS backends then give the
 * same values, which keeps their gradients through many layers in step.
 */
export const wasmBatchNormKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'FusedBatchNorm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, mean, variance, scale, offset } = inputs as Record<string, tf.TensorInfo | undefined>;
      if (!x || !mean || !variance) throw new Error('FusedBatchNorm needs x, mean and variance');
      for (const t of [x, mean, variance, scale, offset]) {
        if (t && t.dtype !== 'float32') throw new Error(`FusedBatchNorm takes float32 tensors, got ${t.dtype}`);
      }
      const eps = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon ?? 0.001;
      const wasm = wasmBackend(backend);
      const out = wasm.makeOutput(x.shape, 'float32');
      // Views only now: allocating the output may have grown the heap.
      const xs = heapFloats(wasm, x);
      const ys = heapFloats(wasm, out);
      const m = heapFloats(wasm, mean);
      const v = heapFloats(wasm, variance);
      const s = scale ? heapFloats(wasm, scale) : new Float32Array([1]);
      const o = offset ? heapFloats(wasm, offset) : new Float32Array([0]);
      const channels = x.shape[x.shape.length - 1] ?? 1;
      if ([m, v, s, o].every((p) => p.length === channels || p.length === 1)) {
        // Per-channel parameters (the usual case): per-channel float64 values, a tight loop over pixels.
        const at = (p: Float32Array, c: number): number => (p.length === 1 ? (p[0] as number) : (p[c] as number));
        const pm = Float64Array.from({ length: channels }, (_, c) => at(m, c));
        const ps = Float64Array.from({ length: channels }, (_, c) => at(s, c));
        const po = Float64Array.from({ length: channels }, (_, c) => at(o, c));
        const pq = Float64Array.from({ length: channels }, (_, c) => Math.sqrt(at(v, c) + eps));
        for (let i = 0; i < xs.length; i += channels) {
          for (let c = 0; c < channels; c++) {
            ys[i + c] =
              (po[c] as number) + (((xs[i + c] as number) - (pm[c] as number)) * (ps[c] as number)) / (pq[c] as number);
          }
        }
        return out;
      }
      let [mi, vi, si, oi] = [0, 0, 0, 0];
      for (let i = 0; i < xs.length; i++) {
        ys[i] =
          (o[oi] as number) +
          (((xs[i] as number) - (m[mi] as number)) * (s[si] as number)) / Math.sqrt((v[vi] as number) + eps);
        if (++mi === m.length) mi = 0;
        if (++vi === v.length) vi = 0;
        if (++si === s.length) si = 0;
        if (++oi === o.length) oi = 0;
      }
      return out;
    },
  },
];
