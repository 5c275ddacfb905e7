import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, wasmBackend } from './wasm-heap.js';

/*
 * Training-mode batch norm as one kernel each way (cpu and wasm), where the composed version ran about a dozen
 * small kernels per BN (mean, subtract, square, mean, multiply... and as many in backprop): the supernet has
 * hundreds of BNs per step. The same JavaScript runs on both backends, so they agree to the bit. Per-channel sums
 * are accumulated in float64; with engine threads they are summed over the threads (ChannelReducer) inside the
 * kernel, so the statistics are those of the whole batch.
 */

/** Forward: x, optional scale and offset -> y, x - mean, 1 / sqrt(var + eps), mean, biased variance. */
export const BATCH_NORM_TRAIN = 'EngineBatchNormTrain';
/** Backward: dy, x - mean, rstd, optional scale -> dx, dscale (this thread's share), doffset (this thread's share). */
export const BATCH_NORM_TRAIN_GRAD = 'EngineBatchNormTrainGrad';

/** Sums per-channel vectors over every engine thread of a data-parallel step (see parallel/reducer.ts). */
export interface ChannelReducer {
  /** The element-wise sum of `values` over the threads, the same in every thread. */
  allReduce(values: Float64Array): Float64Array;
  /** Images of the whole batch per image of this thread's part. */
  batchPerLocal: number;
}

let batchReducer: ChannelReducer | undefined;

/**
 * Makes training-mode batch norm use the statistics of the whole batch when it is split over engine threads.
 * undefined (the default) uses this thread's batch alone. Set by an engine thread around a training step.
 */
export function setBatchStatisticsReducer(reducer: ChannelReducer | undefined): void {
  batchReducer = reducer;
}

/** The reducer in force (read by batch norm when it records a step, and kept for its backward pass). */
export function currentBatchStatisticsReducer(): ChannelReducer | undefined {
  return batchReducer;
}

/** Float32 views of inputs and freshly allocated outputs on the cpu or wasm backend. */
interface Memory {
  read(t: tf.TensorInfo): Float32Array;
  /** Allocates the outputs, then calls `fill` with views of them and the inputs' views taken after allocation. */
  write(
    shapes: number[][],
    inputs: tf.TensorInfo[],
    fill: (outs: Float32Array[], ins: Float32Array[]) => void,
  ): tf.TensorInfo[];
}

function memoryOf(backend: unknown): Memory {
  const cpu = backend as { data?: { get(id: object): { values: unknown } }; makeTensorInfo?: unknown };
  if ((backend as { wasm?: unknown }).wasm) {
    const wasm = wasmBackend(backend);
    return {
      read: (t) => heapFloats(wasm, t),
      write: (shapes, inputs, fill) => {
        const outs = shapes.map((s) => wasm.makeOutput(s, 'float32'));
        // Views only now: allocating the outputs may have grown (and detached) the heap.
        fill(
          outs.map((o) => heapFloats(wasm, o)),
          inputs.map((t) => heapFloats(wasm, t)),
        );
        return outs;
      },
    };
  }
  if (cpu.data && typeof cpu.makeTensorInfo === 'function') {
    const make = (cpu.makeTensorInfo as (s: number[], d: string, v: Float32Array) => tf.TensorInfo).bind(backend);
    const read = (t: tf.TensorInfo): Float32Array => cpu.data?.get(t.dataId).values as Float32Array;
    return {
      read,
      write: (shapes, inputs, fill) => {
        const outs = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
        fill(outs, inputs.map(read));
        return shapes.map((s, i) => make(s, 'float32', outs[i] as Float32Array));
      },
    };
  }
  throw new Error(`${BATCH_NORM_TRAIN} runs on the cpu and wasm backends only`);
}

function float32(t: tf.TensorInfo | undefined, name: string): void {
  if (t && t.dtype !== 'float32') throw new Error(`${name} must be float32, got ${t.dtype}`);
}

/** Sums of this thread's part (in `local`) over every thread, or `local` itself without threads. */
function allReduce(local: Float64Array, reducer: ChannelReducer | undefined): Float64Array {
  return reducer ? reducer.allReduce(local) : local;
}

const forwardKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, scale, offset } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!x || x.shape.length !== 4) throw new Error(`${BATCH_NORM_TRAIN} needs a 4-D x`);
    [x, scale, offset].forEach((t, i) => float32(t, ['x', 'scale', 'offset'][i] as string));
    const eps = (attrs as { eps: number }).eps;
    const channels = x.shape[3] as number;
    const reducer = batchReducer;
    const size = tf.util.sizeFromShape(x.shape);
    const count = (size / channels) * (reducer?.batchPerLocal ?? 1);
    const present = [x, scale, offset].filter((t): t is tf.TensorInfo => t !== undefined);
    return memoryOf(backend).write(
      [x.shape, x.shape, [channels], [channels], [channels]],
      present,
      ([y, centered, rstd, mean, variance], ins) => {
        const xs = ins[0] as Float32Array;
        const g = scale ? (ins[1] as Float32Array) : undefined;
        const b = offset ? (ins[scale ? 2 : 1] as Float32Array) : undefined;
        const [ys, cs, rs, ms, vs] = [y, centered, rstd, mean, variance] as Float32Array[] as [
          Float32Array,
          Float32Array,
          Float32Array,
          Float32Array,
          Float32Array,
        ];
        const sums = new Float64Array(channels);
        for (let i = 0, c = 0; i < size; i++) {
          sums[c] = (sums[c] as number) + (xs[i] as number);
          if (++c === channels) c = 0;
        }
        const totals = allReduce(sums, reducer);
        for (let c = 0; c < channels; c++) ms[c] = (totals[c] as number) / count;
        // Two passes (centred squares), so that a large mean does not cancel the variance.
        const squares = new Float64Array(channels);
        for (let i = 0, c = 0; i < size; i++) {
          const d = Math.fround((xs[i] as number) - (ms[c] as number));
          cs[i] = d;
          squares[c] = (squares[c] as number) + d * d;
          if (++c === channels) c = 0;
        }
        const squareTotals = allReduce(squares, reducer);
        const factor = new Float32Array(channels);
        const shift = new Float32Array(channels);
        for (let c = 0; c < channels; c++) {
          vs[c] = (squareTotals[c] as number) / count;
          rs[c] = 1 / Math.sqrt(Math.fround((vs[c] as number) + eps));
          factor[c] = g ? (g[c] as number) * (rs[c] as number) : (rs[c] as number);
          shift[c] = b ? (b[c] as number) : 0;
        }
        for (let i = 0, c = 0; i < size; i++) {
          ys[i] = (cs[i] as number) * (factor[c] as number) + (shift[c] as number);
          if (++c === channels) c = 0;
        }
      },
    );
  },
};

const backwardKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { dy, centered, rstd, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!dy || !centered || !rstd) throw new Error(`${BATCH_NORM_TRAIN_GRAD} needs dy, centered and rstd`);
    [dy, centered, rstd, scale].forEach((t, i) => float32(t, ['dy', 'centered', 'rstd', 'scale'][i] as string));
    const { count } = attrs as { count: number };
    // The reducer of the forward pass (batchNormTraining reinstates it around this kernel).
    const reducer = batchReducer;
    const channels = dy.shape[3] as number;
    const size = tf.util.sizeFromShape(dy.shape);
    const present = [dy, centered, rstd, ...(scale ? [scale] : [])];
    return memoryOf(backend).write([dy.shape, [channels], [channels]], present, ([dx, dScale, dOffset], ins) => {
      const [dys, cs, rs] = ins as [Float32Array, Float32Array, Float32Array];
      const g = scale ? (ins[3] as Float32Array) : undefined;
      const [dxs, dg, db] = [dx, dScale, dOffset] as [Float32Array, Float32Array, Float32Array];
      // Sum of dy and of dy (x - mean) per channel, packed so the threads exchange them in one reduction.
      const sums = new Float64Array(2 * channels);
      for (let i = 0, c = 0; i < size; i++) {
        const d = dys[i] as number;
        sums[c] = (sums[c] as number) + d;
        sums[channels + c] = (sums[channels + c] as number) + d * (cs[i] as number);
        if (++c === channels) c = 0;
      }
      const totals = allReduce(sums, reducer);
      const meanDy = new Float64Array(channels);
      const k = new Float64Array(channels);
      const a = new Float64Array(channels);
      for (let c = 0; c < channels; c++) {
        const r = rs[c] as number;
        meanDy[c] = (totals[c] as number) / count;
        k[c] = (r * r * (totals[channels + c] as number)) / count;
        a[c] = g ? (g[c] as number) * r : r;
        // The parameters' gradients from this thread's part: the step sums them over the threads.
        db[c] = sums[c] as number;
        dg[c] = (sums[channels + c] as number) * r;
      }
      for (let i = 0, c = 0; i < size; i++) {
        dxs[i] = ((dys[i] as number) - (meanDy[c] as number) - (cs[i] as number) * (k[c] as number)) * (a[c] as number);
        if (++c === channels) c = 0;
      }
    });
  },
};

/** The two kernels, for the cpu and wasm backends. */
export const batchNormTrainKernels = [forwardKernel, backwardKernel];
