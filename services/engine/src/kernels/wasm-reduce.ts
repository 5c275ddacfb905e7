import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, wasmBackend, type WasmBackend } from './wasm-heap.js';

type Kernel = Omit<tf.KernelConfig, 'backendName'>;

/**
 * A float32 sum (or mean) over one contiguous block of axes, in the wasm heap: x viewed as [outer, M, inner] is
 * accumulated over M in double precision, in the order and with the roundings of the cpu backend's kernels
 * (a mean divides each element by M first), so both JS backends give the same bits. The native wasm kernel
 * first transposes the reduced axes to the end (a full copy); per-channel sums of NHWC tensors over N, H, W
 * (every bias, BN and broadcast gradient) run several times faster this way. Returns undefined for the cases it
 * leaves to the native kernel (other dtypes, axes that are not one block).
 */
function reduceBlock(
  backend: WasmBackend,
  x: tf.TensorInfo,
  axis: number | number[],
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo | undefined {
  if (x.dtype !== 'float32') return undefined;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((a, b) => a - b);
  if (axes.length === 0) return undefined;
  const first = axes[0] as number;
  const last = axes[axes.length - 1] as number;
  if (last - first + 1 !== axes.length) return undefined;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
  const m = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
  const outShape = keepDims
    ? x.shape.map((d, i) => (i >= first && i <= last ? 1 : d))
    : x.shape.filter((_, i) => i < first || i > last);
  const out = backend.makeOutput(outShape, 'float32');
  // Views only now: allocating the output may have grown the heap.
  const xs = heapFloats(backend, x);
  const ys = heapFloats(backend, out);
  for (let o = 0; o < outer; o++) sumRows(xs, o * m * inner, m, inner, mean, ys, o * inner);
  return out;
}

const ROWS_PER_BLOCK = 256;

/**
 * out[i] = sum over r of x[start + r * inner + i] (r ascending, in double precision), for i < inner; with `mean`
 * each term is x / rows rounded to float32 first, as the cpu backend's Mean does. Columns go four at a time
 * with local accumulators over blocks of rows (2-4x faster than accumulating into an array).
 */
export function sumRows(
  x: Float32Array,
  start: number,
  rows: number,
  inner: number,
  mean: boolean,
  out: Float32Array,
  outStart: number,
): void {
  const acc = new Float64Array(inner);
  const end = start + rows * inner;
  for (let r0 = start; r0 < end; r0 += ROWS_PER_BLOCK * inner) {
    const r1 = Math.min(r0 + ROWS_PER_BLOCK * inner, end);
    let c = 0;
    for (; c + 4 <= inner; c += 4) {
      let [a0, a1, a2, a3] = [acc[c] as number, acc[c + 1] as number, acc[c + 2] as number, acc[c + 3] as number];
      if (mean) {
        for (let k = r0 + c; k < r1; k += inner) {
          a0 += Math.fround((x[k] as number) / rows);
          a1 += Math.fround((x[k + 1] as number) / rows);
          a2 += Math.fround((x[k + 2] as number) / rows);
          a3 += Math.fround((x[k + 3] as number) / rows);
        }
      } else {
        for (let k = r0 + c; k < r1; k += inner) {
          a0 += x[k] as number;
          a1 += x[k + 1] as number;
          a2 += x[k + 2] as number;
          a3 += x[k + 3] as number;
        }
      }
      [acc[c], acc[c + 1], acc[c + 2], acc[c + 3]] = [a0, a1, a2, a3];
    }
    for (; c < inner; c++) {
      let a = acc[c] as number;
      if (mean) for (let k = r0 + c; k < r1; k += inner) a += Math.fround((x[k] as number) / rows);
      else for (let k = r0 + c; k < r1; k += inner) a += x[k] as number;
      acc[c] = a;
    }
  }
  out.set(acc, outStart);
}

function reduction(kernelName: 'Sum' | 'Mean') {
  return (native: tf.KernelFunc): Kernel => ({
    kernelName,
    kernelFunc: (args) => {
      const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
      const x = args.inputs.x as tf.TensorInfo;
      const fast = reduceBlock(wasmBackend(args.backend), x, axis, keepDims, kernelName === 'Mean');
      return fast ?? native(args);
    },
  });
}

/** wasm Sum and Mean over a contiguous block of axes computed as the cpu backend computes them; other cases native. */
export const wasmReduceKernels: Array<{ kernelName: string; wrap: (native: tf.KernelFunc) => Kernel }> = [
  { kernelName: 'Sum', wrap: reduction('Sum') },
  { kernelName: 'Mean', wrap: reduction('Mean') },
];
