import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, wasmBackend, type WasmBackend } from './wasm-heap.js';
import { PeriodicLanes, pointers, simdKernels, type SimdKernels } from './wasm-simd.js';

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
/**
 * Several BNs with one meeting of the threads: inputs x<k> (with scale<k> and offset<k> where BN k is affine) -> y,
 * x - mean, rstd, mean, variance of each.
 */
export const BATCH_NORM_TRAIN_GROUP = 'EngineBatchNormTrainGroup';
/**
 * Backward: inputs dy<k>, centered<k>, rstd<k> (and scale<k> where BN k has one); attrs counts -> dx, dscale and
 * doffset (this thread's shares; zeros' worth for a BN without them, which the caller frees) of each.
 */
export const BATCH_NORM_TRAIN_GROUP_GRAD = 'EngineBatchNormTrainGroupGrad';

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

/** Float32 views of inputs and freshly allocated outputs on the cpu backend. */
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
  throw new Error(`${BATCH_NORM_TRAIN}: this version runs on the cpu backend only (wasm has its own)`);
}

function float32(t: tf.TensorInfo | undefined, name: string): void {
  if (t && t.dtype !== 'float32') throw new Error(`${name} must be float32, got ${t.dtype}`);
}

/** Sums of this thread's part (in `local`) over every thread, or `local` itself without threads. */
function allReduce(local: Float64Array, reducer: ChannelReducer | undefined): Float64Array {
  return reducer ? reducer.allReduce(local) : local;
}

/** The forward kernel's inputs, checked, with the sizes both versions use. */
function forwardInputs(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined) {
  const { x, scale, offset } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || x.shape.length !== 4) throw new Error(`${BATCH_NORM_TRAIN} needs a 4-D x`);
  [x, scale, offset].forEach((t, i) => float32(t, ['x', 'scale', 'offset'][i] as string));
  const eps = (attrs as { eps: number }).eps;
  const channels = x.shape[3] as number;
  const reducer = batchReducer;
  const size = tf.util.sizeFromShape(x.shape);
  const count = (size / channels) * (reducer?.batchPerLocal ?? 1);
  return { x, scale, offset, eps, channels, reducer, size, count };
}

/**
 * Writes the biased variance and 1 / sqrt(variance + eps) of every channel from the whole batch's centred squares;
 * returns the per-channel factor (scale * rstd) and shift (offset) of y = (x - mean) factor + shift.
 */
function normalisation(
  squareTotals: Float64Array,
  count: number,
  eps: number,
  [vs, rs]: [Float32Array, Float32Array],
  g: Float32Array | undefined,
  b: Float32Array | undefined,
): { factor: Float32Array; shift: Float32Array } {
  const channels = vs.length;
  const factor = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    vs[c] = (squareTotals[c] as number) / count;
    rs[c] = 1 / Math.sqrt(Math.fround((vs[c] as number) + eps));
    factor[c] = g ? (g[c] as number) * (rs[c] as number) : (rs[c] as number);
    shift[c] = b ? (b[c] as number) : 0;
  }
  return { factor, shift };
}

/** The backward kernel's inputs, checked, with the sizes both versions use. */
function backwardInputs(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined) {
  const { dy, centered, rstd, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!dy || !centered || !rstd) throw new Error(`${BATCH_NORM_TRAIN_GRAD} needs dy, centered and rstd`);
  [dy, centered, rstd, scale].forEach((t, i) => float32(t, ['dy', 'centered', 'rstd', 'scale'][i] as string));
  const { count } = attrs as { count: number };
  // The reducer of the forward pass (batchNormTraining reinstates it around this kernel).
  const reducer = batchReducer;
  const channels = dy.shape[3] as number;
  const size = tf.util.sizeFromShape(dy.shape);
  return { dy, centered, rstd, scale, count, reducer, channels, size };
}

/**
 * Per-channel terms of dx = (dy - meanDy - (x - mean) k) a, from the sums of dy and of dy (x - mean) over this
 * thread's part (`sums`, 2C) and over the whole batch (`totals`); writes the parameters' gradients of this thread's
 * part into dg and db (the step sums them over the threads).
 */
function backwardCoefficients(
  sums: Float64Array,
  totals: Float64Array,
  count: number,
  rs: Float32Array,
  g: Float32Array | undefined,
  [dg, db]: [Float32Array, Float32Array],
): { meanDy: Float64Array; k: Float64Array; a: Float64Array } {
  const channels = rs.length;
  const meanDy = new Float64Array(channels);
  const k = new Float64Array(channels);
  const a = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const r = rs[c] as number;
    meanDy[c] = (totals[c] as number) / count;
    k[c] = (r * r * (totals[channels + c] as number)) / count;
    a[c] = g ? (g[c] as number) * r : r;
    db[c] = sums[c] as number;
    dg[c] = (sums[channels + c] as number) * r;
  }
  return { meanDy, k, a };
}

const forwardKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, scale, offset, eps, channels, reducer, size, count } = forwardInputs(inputs, attrs);
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
        const { factor, shift } = normalisation(allReduce(squares, reducer), count, eps, [vs, rs], g, b);
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
    const { dy, centered, rstd, scale, count, reducer, channels, size } = backwardInputs(inputs, attrs);
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
      const { meanDy, k, a } = backwardCoefficients(sums, allReduce(sums, reducer), count, rs, g, [dg, db]);
      for (let i = 0, c = 0; i < size; i++) {
        dxs[i] = ((dys[i] as number) - (meanDy[c] as number) - (cs[i] as number) * (k[c] as number)) * (a[c] as number);
        if (++c === channels) c = 0;
      }
    });
  },
};

/** The group kernels on cpu: the single kernels one after the other (the threads meet per BN there). */
const forwardGroupKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GROUP,
  kernelFunc: ({ inputs, attrs, backend }) =>
    groupMembers(inputs).flatMap(
      (member) => forwardKernel.kernelFunc({ inputs: member, attrs, backend }) as tf.TensorInfo[],
    ),
};

const backwardGroupKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GROUP_GRAD,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { counts } = attrs as unknown as { counts: number[] };
    return groupGradMembers(inputs).flatMap(
      (member, k) =>
        backwardKernel.kernelFunc({
          inputs: member,
          attrs: { count: counts[k] } as unknown as tf.NamedAttrMap,
          backend,
        }) as tf.TensorInfo[],
    );
  },
};

/** The kernels for the cpu backend (and any backend of plain JavaScript arrays). */
export const batchNormTrainKernels = [forwardKernel, backwardKernel, forwardGroupKernel, backwardGroupKernel];

/*
 * The wasm versions: the same arithmetic, as SIMD passes over the heap (wasm/kernels.ts periodicSums and
 * periodicAffine), where the JavaScript loops above took over a third of a supernet training step. Sums and
 * products are float64 as on cpu, only summed in another order; the affine maps round in float32.
 */

/**
 * One wasm BN forward in two phases around the threads' meeting: `local` is this thread's part of the sums to add
 * over the threads (undefined without a reducer: `finish` then runs the one-thread two-pass path), `finish` writes the
 * outputs from the totals. Between the phases other kernels may allocate (the group kernel runs several BNs), so
 * heap views are taken in `finish` only.
 */
function wasmForwardPhases(
  wasm: WasmBackend,
  { x, scale, offset, eps, channels, reducer, size, count }: ReturnType<typeof forwardInputs>,
): { local: Float64Array | undefined; finish: (totals: Float64Array | undefined) => tf.TensorInfo[] } {
  const outs = [x.shape, x.shape, [channels], [channels], [channels]].map((s) => wasm.makeOutput(s, 'float32'));
  const [y, centered, rstd, mean, variance] = outs as [
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
    tf.TensorInfo,
  ];
  const lanes = new PeriodicLanes(wasm, channels);
  const simd: SimdKernels = simdKernels(wasm);
  const [px, py, pc] = pointers(wasm, x, y, centered) as [number, number, number];
  const [p0, p1, p2] = lanes.patterns;
  simd.periodicSums(px, 0, 0, 0, size, lanes.period, lanes.out64, 0);
  const sums = lanes.channelSums();
  const views = (): { rs: Float32Array; ms: Float32Array; vs: Float32Array; g?: Float32Array; b?: Float32Array } => ({
    rs: heapFloats(wasm, rstd),
    ms: heapFloats(wasm, mean),
    vs: heapFloats(wasm, variance),
    ...(scale ? { g: heapFloats(wasm, scale) } : {}),
    ...(offset ? { b: heapFloats(wasm, offset) } : {}),
  });
  if (!reducer) {
    return {
      local: undefined,
      finish: () => {
        const { rs, ms, vs, g, b } = views();
        for (let c = 0; c < channels; c++) ms[c] = (sums[c] as number) / count;
        lanes.setPattern(0, ms);
        // Two passes (centred squares), so that a large mean does not cancel the variance.
        simd.periodicSums(px, 0, pc, p0, size, lanes.period, lanes.out64, 0);
        const { factor, shift } = normalisation(lanes.channelSums(), count, eps, [vs, rs], g, b);
        lanes.setPattern(0, factor);
        lanes.setPattern(2, shift);
        simd.periodicAffine(pc, 0, py, p0, p0, p2, size, lanes.period);
        lanes.dispose();
        return outs;
      },
    };
  }
  // With engine threads, one meeting instead of two: each thread centres on its own mean m (as float32), and
  // its sums S and Q = sum (x - m)^2 give the whole batch's sum of squares around the mean mu as
  // sum over threads of (Q + 2 m S - n m^2) - N mu^2 (all float64: no cancellation to speak of).
  const n = size / channels;
  const m = Float32Array.from(sums, (sum) => sum / n);
  lanes.setPattern(0, m);
  simd.periodicSums(px, 0, pc, p0, size, lanes.period, lanes.out64, 0);
  const q = lanes.channelSums();
  const local = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    const [mc, sc] = [m[c] as number, sums[c] as number];
    local[c] = sc;
    local[channels + c] = (q[c] as number) + 2 * mc * sc - n * mc * mc;
  }
  return {
    local,
    finish: (totals) => {
      if (!totals) throw new Error(`${BATCH_NORM_TRAIN}: the threads' totals are missing`);
      const { rs, ms, vs, g, b } = views();
      const squares = new Float64Array(channels);
      for (let c = 0; c < channels; c++) {
        const mu = (totals[c] as number) / count;
        ms[c] = mu;
        squares[c] = Math.max(0, (totals[channels + c] as number) - count * mu * mu);
      }
      const { factor, shift } = normalisation(squares, count, eps, [vs, rs], g, b);
      lanes.setPattern(0, ms);
      lanes.setPattern(1, factor);
      lanes.setPattern(2, shift);
      simd.periodicCenter(px, pc, py, p0, p1, p2, size, lanes.period);
      lanes.dispose();
      return outs;
    },
  };
}

/** One wasm BN backward in two phases around the threads' meeting (as wasmForwardPhases; `local` always set). */
function wasmBackwardPhases(
  wasm: WasmBackend,
  { dy, centered, rstd, scale, count, channels, size }: ReturnType<typeof backwardInputs>,
): { local: Float64Array; finish: (totals: Float64Array) => tf.TensorInfo[] } {
  const outs = [dy.shape, [channels], [channels]].map((s) => wasm.makeOutput(s, 'float32'));
  const [dx, dScale, dOffset] = outs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
  const lanes = new PeriodicLanes(wasm, channels);
  const simd = simdKernels(wasm);
  const [pdy, pc, pdx] = pointers(wasm, dy, centered, dx) as [number, number, number];
  // Sum of dy and of dy (x - mean) per channel, packed so the threads exchange them in one reduction.
  const local = new Float64Array(2 * channels);
  simd.periodicSums(pdy, pc, 0, 0, size, lanes.period, lanes.out64, 1);
  local.set(lanes.channelSums(1), 0);
  local.set(lanes.channelSums(0), channels);
  return {
    local,
    finish: (totals) => {
      const rs = heapFloats(wasm, rstd);
      const g = scale ? heapFloats(wasm, scale) : undefined;
      const [dg, db] = [heapFloats(wasm, dScale), heapFloats(wasm, dOffset)];
      // dx = (dy - mean(dy) - (x - mean) k) a = dy a + (x - mean) (-k a) + (-mean(dy) a).
      const { meanDy, k, a } = backwardCoefficients(local, totals, count, rs, g, [dg, db]);
      lanes.setPattern(0, a);
      lanes.setPattern(
        1,
        a.map((ac, c) => -(k[c] as number) * ac),
      );
      lanes.setPattern(
        2,
        a.map((ac, c) => -(meanDy[c] as number) * ac),
      );
      const [p0, p1, p2] = lanes.patterns;
      simd.periodicAffine(pdy, pc, pdx, p0, p1, p2, size, lanes.period);
      lanes.dispose();
      return outs;
    },
  };
}

const wasmForwardKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const args = forwardInputs(inputs, attrs);
    const { local, finish } = wasmForwardPhases(wasmBackend(backend), args);
    return finish(local && args.reducer?.allReduce(local));
  },
};

const wasmBackwardKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const args = backwardInputs(inputs, attrs);
    const { local, finish } = wasmBackwardPhases(wasmBackend(backend), args);
    return finish(allReduce(local, args.reducer));
  },
};

/*
 * Several BNs at once (BATCH_NORM_TRAIN_GROUP, inputs x0..x(K-1), each with or without scale and offset): with
 * engine threads the threads meet once for all of them instead of once per BN, each way. The supernet's cell
 * normalises dozens of independent operation outputs at each depth, the evaluation network's cell the BNs of its
 * independent operations, and under load a meeting costs a scheduler wake-up (milliseconds).
 * Each BN's arithmetic is that of the single kernel, so a group gives the same bits as its BNs one by one.
 */

/** The group's inputs as the single kernel's, BN by BN: x<k>, and scale<k> and offset<k> where given. */
function groupMembers(inputs: tf.NamedTensorInfoMap): tf.NamedTensorInfoMap[] {
  const members: tf.NamedTensorInfoMap[] = [];
  for (let k = 0; inputs[`x${k}`] !== undefined; k++) {
    const member: tf.NamedTensorInfoMap = { x: inputs[`x${k}`] as tf.TensorInfo };
    if (inputs[`scale${k}`]) member.scale = inputs[`scale${k}`] as tf.TensorInfo;
    if (inputs[`offset${k}`]) member.offset = inputs[`offset${k}`] as tf.TensorInfo;
    members.push(member);
  }
  return members;
}

/** The group gradient's inputs as the single kernel's, BN by BN: dy<k>, centered<k>, rstd<k>, and scale<k> where given. */
function groupGradMembers(inputs: tf.NamedTensorInfoMap): tf.NamedTensorInfoMap[] {
  const members: tf.NamedTensorInfoMap[] = [];
  for (let k = 0; inputs[`dy${k}`] !== undefined; k++) {
    const member: tf.NamedTensorInfoMap = {
      dy: inputs[`dy${k}`] as tf.TensorInfo,
      centered: inputs[`centered${k}`] as tf.TensorInfo,
      rstd: inputs[`rstd${k}`] as tf.TensorInfo,
    };
    if (inputs[`scale${k}`]) member.scale = inputs[`scale${k}`] as tf.TensorInfo;
    members.push(member);
  }
  return members;
}

/** Every part's `local` added over the threads in one meeting, then handed back in parts of the same sizes. */
function allReduceParts(parts: Float64Array[], reducer: ChannelReducer): Float64Array[] {
  const packed = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    packed.set(p, offset);
    offset += p.length;
  }
  const totals = reducer.allReduce(packed);
  offset = 0;
  return parts.map((p) => {
    const part = totals.subarray(offset, offset + p.length);
    offset += p.length;
    return part;
  });
}

const wasmForwardGroupKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GROUP,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const wasm = wasmBackend(backend);
    const phases = groupMembers(inputs).map((member) => wasmForwardPhases(wasm, forwardInputs(member, attrs)));
    const reducer = batchReducer;
    const totals = reducer
      ? allReduceParts(
          phases.map((p) => p.local as Float64Array),
          reducer,
        )
      : undefined;
    return phases.flatMap((p, k) => p.finish(totals?.[k]));
  },
};

const wasmBackwardGroupKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: BATCH_NORM_TRAIN_GROUP_GRAD,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const wasm = wasmBackend(backend);
    const { counts } = attrs as unknown as { counts: number[] };
    const phases = groupGradMembers(inputs).map((member, k) =>
      wasmBackwardPhases(wasm, backwardInputs(member, { count: counts[k] } as unknown as tf.NamedAttrMap)),
    );
    const reducer = batchReducer;
    const totals = reducer
      ? allReduceParts(
          phases.map((p) => p.local),
          reducer,
        )
      : phases.map((p) => p.local);
    return phases.flatMap((p, k) => p.finish(totals[k] as Float64Array));
  },
};

/** The kernels on wasm. */
export const wasmBatchNormTrainKernels = [
  wasmForwardKernel,
  wasmBackwardKernel,
  wasmForwardGroupKernel,
  wasmBackwardGroupKernel,
];
