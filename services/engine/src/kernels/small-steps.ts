import * as tf from '@tensorflow/tfjs-core';
import { heapFloats, memoryOffset, wasmBackend } from './wasm-heap.js';
import { simdKernels } from './wasm-simd.js';

/*
 * Per-parameter and per-BN bookkeeping of a training step as one kernel each, where the composed versions ran six
 * (an SGD step with momentum and weight decay) and seven (a BN's running statistics) kernels on vectors of a few
 * dozen values: the supernet has hundreds of parameters and BNs, and on cpu and wasm such a kernel costs its
 * dispatch, not its arithmetic. Each rounds to float32 after every operation, as the composed float32 ops do
 * (a float32 product or sum computed in float64 and rounded once is the correctly rounded float32 result), so
 * both give the same bits.
 */

/** Running statistics: running mean, running var, batch mean, biased batch var -> the two new running values. */
export const RUNNING_STATS = 'EngineRunningStats';
/**
 * SGD: weight, gradient and (with momentum, after the first step) buffer -> new weight (and new buffer); the
 * gradient is first multiplied by the `gradScale` attribute (default 1: left as it is).
 */
export const SGD_STEP = 'EngineSgdStep';

const f = Math.fround;

/** Float32 views of inputs and of freshly allocated outputs, on the cpu or wasm backend. */
function arrays(
  backend: unknown,
  inputs: tf.TensorInfo[],
  outputShapes: number[][],
): { ins: Float32Array[]; outs: Float32Array[]; infos: tf.TensorInfo[] } {
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`expected float32 tensors, got ${t.dtype}`);
  if ((backend as { wasm?: unknown }).wasm) {
    const wasm = wasmBackend(backend);
    const infos = outputShapes.map((s) => wasm.makeOutput(s, 'float32'));
    // Views only now: allocating the outputs may have grown the heap.
    return { ins: inputs.map((t) => heapFloats(wasm, t)), outs: infos.map((t) => heapFloats(wasm, t)), infos };
  }
  const cpu = backend as {
    data?: { get(id: object): { values: unknown } };
    makeTensorInfo?: (s: number[], d: string, v: Float32Array) => tf.TensorInfo;
  };
  if (!cpu.data || typeof cpu.makeTensorInfo !== 'function') throw new Error('this kernel runs on cpu and wasm only');
  const outs = outputShapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  const infos = outputShapes.map((s, i) =>
    (cpu.makeTensorInfo as NonNullable<typeof cpu.makeTensorInfo>).call(backend, s, 'float32', outs[i] as Float32Array),
  );
  return { ins: inputs.map((t) => cpu.data?.get(t.dataId).values as Float32Array), outs, infos };
}

const runningStatsKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: RUNNING_STATS,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { runningMean, runningVar, mean, variance } = inputs as Record<string, tf.TensorInfo>;
    const { momentum, count } = attrs as unknown as { momentum: number; count: number };
    const shape = (runningMean as tf.TensorInfo).shape;
    const { ins, outs, infos } = arrays(backend, [runningMean, runningVar, mean, variance] as tf.TensorInfo[], [
      shape,
      shape,
    ]);
    const [rm, rv, m, v] = ins as [Float32Array, Float32Array, Float32Array, Float32Array];
    const [nm, nv] = outs as [Float32Array, Float32Array];
    const [keep, take, unbias] = [f(1 - momentum), f(momentum), f(count / (count - 1))];
    for (let i = 0; i < rm.length; i++) {
      nm[i] = f(f((rm[i] as number) * keep) + f((m[i] as number) * take));
      nv[i] = f(f((rv[i] as number) * keep) + f(f((v[i] as number) * unbias) * take));
    }
    return infos;
  },
};

const sgdStepKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: SGD_STEP,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { w, g, buf } = inputs as Record<string, tf.TensorInfo | undefined>;
    if (!w || !g) throw new Error(`${SGD_STEP} needs w and g`);
    const {
      lr,
      momentum,
      weightDecay,
      gradScale = 1,
    } = attrs as unknown as {
      lr: number;
      momentum: number;
      weightDecay: number;
      gradScale?: number;
    };
    const shapes = momentum > 0 ? [w.shape, w.shape] : [w.shape];
    if ((backend as { wasm?: unknown }).wasm)
      return wasmSgdStep(backend, w, g, buf, shapes, attrs as unknown as SgdAttrs);
    const { ins, outs, infos } = arrays(backend, [w, g, ...(buf ? [buf] : [])], shapes);
    const [ws, gs, bs] = ins as [Float32Array, Float32Array, Float32Array | undefined];
    const [nw, nb] = outs as [Float32Array, Float32Array | undefined];
    const [decay, mom, rate, scale] = [f(weightDecay), f(momentum), f(lr), f(gradScale)];
    for (let i = 0; i < ws.length; i++) {
      const wi = ws[i] as number;
      const gi = gradScale === 1 ? (gs[i] as number) : f((gs[i] as number) * scale);
      const d = weightDecay === 0 ? gi : f(gi + f(wi * decay));
      let update = d;
      if (nb) {
        update = bs ? f(f((bs[i] as number) * mom) + d) : d;
        nb[i] = update;
      }
      nw[i] = f(wi - f(update * rate));
    }
    return infos;
  },
};

interface SgdAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
  gradScale?: number;
}

/**
 * The SGD step on wasm: one SIMD pass (wasm/kernels.ts sgdStep) with the loop's float32 operations, so the same
 * bits, where the loop took 15 ms per step of LRNAS_C10's 2.2 million parameters.
 */
function wasmSgdStep(
  backend: unknown,
  w: tf.TensorInfo,
  g: tf.TensorInfo,
  buf: tf.TensorInfo | undefined,
  shapes: number[][],
  { lr, momentum, weightDecay, gradScale = 1 }: SgdAttrs,
): tf.TensorInfo[] {
  for (const t of [w, g, ...(buf ? [buf] : [])]) {
    if (t.dtype !== 'float32') throw new Error(`expected float32 tensors, got ${t.dtype}`);
  }
  const wasm = wasmBackend(backend);
  const infos = shapes.map((s) => wasm.makeOutput(s, 'float32'));
  const k = simdKernels(wasm);
  const flags =
    (gradScale === 1 ? 0 : k.SGD_SCALE.value) |
    (weightDecay === 0 ? 0 : k.SGD_DECAY.value) |
    (buf ? k.SGD_BUFFER.value : 0) |
    (infos.length > 1 ? k.SGD_WRITE_BUFFER.value : 0);
  const at = (t: tf.TensorInfo | undefined): number => (t ? memoryOffset(wasm, t) : 0);
  k.sgdStep(
    at(w),
    at(g),
    at(buf),
    at(infos[0]),
    at(infos[1]),
    tf.util.sizeFromShape(w.shape),
    gradScale,
    weightDecay,
    momentum,
    lr,
    flags,
  );
  return infos;
}

/** The two kernels, for the cpu and wasm backends. */
export const smallStepKernels = [runningStatsKernel, sgdStepKernel];
