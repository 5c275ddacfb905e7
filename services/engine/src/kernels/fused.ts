import * as tf from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  BATCH_NORM_TRAIN_GROUP,
  BATCH_NORM_TRAIN_GROUP_GRAD,
  currentBatchStatisticsReducer,
  setBatchStatisticsReducer,
  type ChannelReducer,
} from './batch-norm-train.js';

/*
 * Differentiable operations with hand-written gradients (tf.customGrad) for the hot paths of training. Each one
 * saves for backprop only what its gradient reads (tfjs's generic gradients keep every input of every kernel
 * alive until the backward pass ends, e.g. both operands of an add just for their shapes) and runs fewer,
 * larger kernels in both directions.
 */

/** Output of batchNormTraining: the normalised batch and the statistics it used (outside any gradient). */
export interface BatchNormTrainingResult {
  y: tf.Tensor4D;
  /** Batch mean per channel. */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel. */
  variance: tf.Tensor1D;
  /** Values per channel the statistics cover (N H W of the whole batch, over every thread). */
  count: number;
}

const CHANNEL_AXES = [0, 1, 2];

export { setBatchStatisticsReducer, type ChannelReducer };

/** 1 / sqrt(variance + eps) from correctly rounded operations, so every backend computes the same bits. */
function reciprocalStd(variance: tf.Tensor1D, eps: number): tf.Tensor1D {
  return tf.div(1, tf.sqrt(tf.add(variance, eps)));
}

/**
 * Training-mode batch normalisation of NHWC `x` over N, H, W: (x - mean) / sqrt(var + eps) * scale + offset with
 * the batch mean and biased variance (two-pass, so large means do not cancel). Differentiable in x, scale and
 * offset through one fused gradient that saves only x - mean and 1 / sqrt(var + eps):
 * dx = scale rstd (dy - mean(dy) - (x - mean) rstd^2 mean(dy (x - mean))), dscale = rstd sum(dy (x - mean)),
 * doffset = sum(dy). Built from elementwise operations (correctly rounded on every backend) and per-channel
 * reductions (computed alike on cpu and wasm), so the two JS backends agree to the bit; no transcendental kernel
 * (rsqrt) whose last bit differs between backends. The returned statistics are new tensors the caller disposes;
 * they carry no gradient.
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  scale: tf.Tensor1D | undefined,
  offset: tf.Tensor1D | undefined,
  eps: number,
): BatchNormTrainingResult {
  if (tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend())) return batchNormTrainingKernel(x, scale, offset, eps);
  // Statistics over engine threads are summed inside the kernel (batch-norm-train.ts), which the pool's backends have.
  if (currentBatchStatisticsReducer())
    throw new Error(`engine threads need the cpu or wasm backend, not ${tf.getBackend()}`);
  const [n, h, w] = x.shape;
  const count = n * h * w;
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D; count: number } | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor4D;
    const gamma = scale ? (args[1] as tf.Tensor1D) : undefined;
    const beta = offset ? (args[scale ? 2 : 1] as tf.Tensor1D) : undefined;
    const mean = tf.mean(input, CHANNEL_AXES) as tf.Tensor1D;
    const centered = tf.sub(input, mean);
    const variance = tf.mean(tf.square(centered), CHANNEL_AXES) as tf.Tensor1D;
    const rstd = reciprocalStd(variance, eps);
    const normalized = tf.mul(centered, gamma ? tf.mul(gamma, rstd) : rstd);
    save(gamma ? [centered, rstd, gamma] : [centered, rstd]);
    // Kept so that they survive the custom op's scope; handed to the caller.
    stats = { mean: tf.keep(mean), variance: tf.keep(variance), count };
    return {
      value: beta ? tf.add(normalized, beta) : normalized,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [c, r, g] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D | undefined];
        const dBeta = tf.sum(dy, CHANNEL_AXES);
        const dyCentered = tf.sum(tf.mul(dy, c), CHANNEL_AXES);
        const a = g ? tf.mul(g, r) : r;
        const meanDy = tf.div(dBeta, count);
        const k = tf.div(tf.mul(tf.mul(r, r), dyCentered), count);
        const dx = tf.mul(tf.sub(tf.sub(dy, meanDy), tf.mul(c, k)), a);
        return [dx, ...(g ? [tf.mul(dyCentered, r)] : []), ...(beta ? [dBeta] : [])];
      },
    };
  });
  const y = op(x, ...(scale ? [scale] : []), ...(offset ? [offset] : [])) as tf.Tensor4D;
  if (!stats) throw new Error('batchNormTraining: the forward pass did not run');
  return { y, mean: stats.mean, variance: stats.variance, count: stats.count };
}

/** batchNormTraining on the engine's two kernels (batch-norm-train.ts): one kernel forward, one backward. */
function batchNormTrainingKernel(
  x: tf.Tensor4D,
  scale: tf.Tensor1D | undefined,
  offset: tf.Tensor1D | undefined,
  eps: number,
): BatchNormTrainingResult {
  const reducer = currentBatchStatisticsReducer();
  const [n, h, w] = x.shape;
  const count = n * h * w * (reducer?.batchPerLocal ?? 1);
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs: tf.NamedTensorMap = { x: args[0] as tf.Tensor };
    if (scale) inputs.scale = args[1] as tf.Tensor;
    if (offset) inputs.offset = args[scale ? 2 : 1] as tf.Tensor;
    const [y, centered, rstd, mean, variance] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save(
      scale
        ? [centered as tf.Tensor, rstd as tf.Tensor, inputs.scale as tf.Tensor]
        : [centered as tf.Tensor, rstd as tf.Tensor],
    );
    stats = { mean: tf.keep(mean as tf.Tensor1D), variance: tf.keep(variance as tf.Tensor1D) };
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [c, r, g] = saved;
        const gradInputs: tf.NamedTensorMap = { dy, centered: c as tf.Tensor, rstd: r as tf.Tensor };
        if (g) gradInputs.scale = g;
        // The backward pass reduces over the same threads as the forward pass did.
        const outer = currentBatchStatisticsReducer();
        setBatchStatisticsReducer(reducer);
        let grads: tf.Tensor[];
        try {
          grads = tf
            .engine()
            .runKernel(BATCH_NORM_TRAIN_GRAD, gradInputs, { count } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        } finally {
          setBatchStatisticsReducer(outer);
        }
        const [dx, dScale, dOffset] = grads as [tf.Tensor, tf.Tensor, tf.Tensor];
        if (!g) dScale.dispose();
        if (!offset) dOffset.dispose();
        return [dx, ...(g ? [dScale] : []), ...(offset ? [dOffset] : [])];
      },
    };
  });
  const y = op(x, ...(scale ? [scale] : []), ...(offset ? [offset] : [])) as tf.Tensor4D;
  if (!stats) throw new Error('batchNormTraining: the forward pass did not run');
  return { y, mean: stats.mean, variance: stats.variance, count };
}

/** tfjs-core 4.22's Engine.runKernelFunc (customGrad's own path; public in its code, not in its typings). */
interface KernelFuncRunner {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: tf.GradSaveFunc) => tf.Tensor | tf.Tensor[];
    backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: tf.NamedTensorMap;
  }): tf.Tensor | tf.Tensor[];
}

/**
 * A differentiable operation with one output, like tf.customGrad, except that its gradient is one function per
 * named input and the backward pass runs only those of the inputs it needs: tf.customGrad computes every input's
 * gradient at once, so an attack's input gradient also paid for the filter (and bias) gradients of every
 * convolution recorded through it. `forward` runs off the tape, as customGrad's does, and saves what the gradient
 * functions read with `save`.
 */
export function gradientPerInput<T extends tf.Tensor>(
  inputs: tf.NamedTensorMap,
  forward: (save: tf.GradSaveFunc) => T,
  gradients: (dy: T, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>,
): T {
  return (tf.engine() as unknown as KernelFuncRunner).runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) => forward(save),
    backwardsFunc: (dy, saved) => gradients(dy as T, saved),
  }) as T;
}

/**
 * tf.fused.conv2d with a bias and no activation (NHWC, no dilation), on the same FusedConv2D kernel, with the same
 * gradients from the same kernels (Conv2DBackpropInput, Conv2DBackpropFilter, Sum: the same bits) but each computed
 * only when needed: an attack's input gradient through tf.fused.conv2d also ran the filter and bias gradients. Keeps
 * x and the filter for backprop, not the output.
 */
export function conv2dWithBias(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  strides: number | [number, number],
  pad: number | 'valid' | 'same' | tf.backend_util.ExplicitPadding,
): tf.Tensor4D {
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear' };
  const common = { strides, pad, dataFormat: 'NHWC' };
  return gradientPerInput(
    { x, filter, bias },
    (save) => {
      save([x, filter]);
      return tf
        .engine()
        .runKernel('FusedConv2D', { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    },
    (dy, saved) => {
      const [input, weights] = saved as [tf.Tensor4D, tf.Tensor4D];
      const run = (name: string, kernelInputs: tf.NamedTensorMap, kernelAttrs: object): tf.Tensor =>
        tf.engine().runKernel(name, kernelInputs, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor;
      return {
        x: () => run('Conv2DBackpropInput', { dy, filter: weights }, { ...common, inputShape: input.shape }),
        filter: () => run('Conv2DBackpropFilter', { x: input, dy }, { ...common, filterShape: weights.shape }),
        bias: () => tf.reshape(tf.sum(dy, [0, 1, 2]), bias.shape),
      };
    },
  );
}

/** A group member's learnable scale and offset (an affine BN's weight and bias). */
export interface BatchNormAffine {
  scale: tf.Tensor1D;
  offset: tf.Tensor1D;
}

/**
 * batchNormTraining of several tensors, `xs[k]` with `affine[k]`'s scale and offset where given, as one operation
 * with one output per input: with engine threads the threads meet once for the group each way instead of once per
 * BN (batch-norm-train.ts's group kernels), and each result has the bits batchNormTraining gives it alone, its
 * gradients (x, scale, offset) included. tf.customGrad has one output, so the group is recorded through the
 * engine's runKernelFunc, which customGrad itself uses.
 */
export function batchNormTrainingGroup(
  xs: tf.Tensor4D[],
  eps: number,
  affine: ReadonlyArray<BatchNormAffine | undefined> = [],
): BatchNormTrainingResult[] {
  if (xs.length === 1 || !tf.getKernel(BATCH_NORM_TRAIN_GROUP, tf.getBackend())) {
    return xs.map((x, k) => batchNormTraining(x, affine[k]?.scale, affine[k]?.offset, eps));
  }
  const reducer = currentBatchStatisticsReducer();
  const counts = xs.map(({ shape: [n, h, w] }) => n * h * w * (reducer?.batchPerLocal ?? 1));
  const inputs: tf.NamedTensorMap = {};
  xs.forEach((x, k) => {
    inputs[`x${k}`] = x;
    const params = affine[k];
    if (params) {
      inputs[`scale${k}`] = params.scale;
      inputs[`offset${k}`] = params.offset;
    }
  });
  const stats: Array<{ mean: tf.Tensor1D; variance: tf.Tensor1D }> = [];
  const ys = (tf.engine() as unknown as KernelFuncRunner).runKernelFunc({
    inputs,
    forwardFunc: (_backend, save) => {
      const outs = tf.engine().runKernel(BATCH_NORM_TRAIN_GROUP, inputs, { eps }) as tf.Tensor[];
      const of = (k: number, i: number): tf.Tensor => outs[5 * k + i] as tf.Tensor;
      // x - mean and rstd of each BN, in order.
      save(xs.flatMap((_, k) => [of(k, 1), of(k, 2)]));
      xs.forEach((_, k) =>
        stats.push({ mean: tf.keep(of(k, 3)) as tf.Tensor1D, variance: tf.keep(of(k, 4)) as tf.Tensor1D }),
      );
      return xs.map((_, k) => of(k, 0));
    },
    backwardsFunc: (dy, saved) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const gradInputs: tf.NamedTensorMap = {};
      xs.forEach((_, k) => {
        gradInputs[`dy${k}`] = dys[k] as tf.Tensor;
        gradInputs[`centered${k}`] = saved[2 * k] as tf.Tensor;
        gradInputs[`rstd${k}`] = saved[2 * k + 1] as tf.Tensor;
        const params = affine[k];
        if (params) gradInputs[`scale${k}`] = params.scale;
      });
      // The backward pass reduces over the same threads as the forward pass did.
      const outer = currentBatchStatisticsReducer();
      setBatchStatisticsReducer(reducer);
      try {
        const grads = tf
          .engine()
          .runKernel(BATCH_NORM_TRAIN_GROUP_GRAD, gradInputs, { counts } as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const named: Record<string, () => tf.Tensor> = {};
        xs.forEach((_, k) => {
          const [dx, dScale, dOffset] = grads.slice(3 * k, 3 * k + 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
          named[`x${k}`] = () => dx;
          if (affine[k]) {
            named[`scale${k}`] = () => dScale;
            named[`offset${k}`] = () => dOffset;
          } else {
            tf.dispose([dScale, dOffset]);
          }
        });
        return named;
      } finally {
        setBatchStatisticsReducer(outer);
      }
    },
  }) as tf.Tensor[];
  return ys.map((y, k) => ({
    y: y as tf.Tensor4D,
    mean: stats[k]?.mean as tf.Tensor1D,
    variance: stats[k]?.variance as tf.Tensor1D,
    count: counts[k] as number,
  }));
}

/**
 * a + b for tensors of the same shape, whose gradient ([dy, dy]) needs neither operand: tfjs's Add keeps both
 * alive for backprop just to undo broadcasting.
 */
export function addSameShape<T extends tf.Tensor>(a: T, b: T): T {
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`addSameShape: shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}] differ`);
  }
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.add(args[0] as tf.Tensor, args[1] as tf.Tensor),
    // Two tensors: the engine may dispose one gradient while accumulating it (a clone shares memory).
    gradFunc: (dy: tf.Tensor) => [dy, tf.clone(dy)],
  }));
  return op(a, b) as T;
}

/**
 * Concatenation along `axis` whose gradient (dy split back into the parts' sizes) saves none of the parts:
 * tfjs's Concat keeps every part alive for backprop just to read their sizes.
 */
export function concatParts<T extends tf.Tensor>(parts: T[], axis: number): T {
  const first = parts[0];
  if (!first) throw new Error('concatParts needs at least one tensor');
  const $axis = tf.util.parseAxisParam(axis, first.shape)[0] ?? 0;
  const sizes = parts.map((p) => p.shape[$axis] ?? 0);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.concat(args.slice(0, parts.length) as tf.Tensor[], $axis),
    gradFunc: (dy: tf.Tensor) => tf.split(dy, sizes, $axis),
  }));
  return op(...parts) as T;
}
