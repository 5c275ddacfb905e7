import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormTraining,
  batchNormTrainingGroup,
  channelAffine,
  composedGroupStandardise,
  GROUP_STANDARDISE,
  RUNNING_STATS,
  type BatchNormAffine,
  type BatchNormTrainingResult,
} from '../kernels/index.js';
import { onesInit, zerosInit } from './init.js';
import { Layer, type ForwardContext, type VariableSlot } from './module.js';

/** Options of BatchNorm2d; the defaults are PyTorch's. */
export interface BatchNormOptions {
  /** Learnable scale (`weight`) and shift (`bias`); the supernet uses none. Default true. */
  affine?: boolean;
  /** Weight of the new batch statistic in the running averages. Default 0.1. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-5. */
  eps?: number;
}

/**
 * Batch normalisation over N, H, W per channel, with PyTorch's semantics: training normalises
 * with the batch mean and biased variance and moves `running_mean` / `running_var` towards the
 * batch mean and UNBIASED variance by `momentum`; inference normalises with the running values.
 */
export class BatchNorm2d extends Layer {
  readonly weight: VariableSlot | undefined;
  readonly bias: VariableSlot | undefined;
  readonly runningMean: VariableSlot;
  readonly runningVar: VariableSlot;
  readonly affine: boolean;
  readonly momentum: number;
  readonly eps: number;

  constructor(
    readonly channels: number,
    options: BatchNormOptions = {},
  ) {
    super();
    this.affine = options.affine ?? true;
    this.momentum = options.momentum ?? 0.1;
    this.eps = options.eps ?? 1e-5;
    // PyTorch's state_dict names, so checkpoints line up with the reference implementation.
    this.weight = this.affine ? this.addParameter('weight', [channels], onesInit) : undefined;
    this.bias = this.affine ? this.addParameter('bias', [channels], zerosInit) : undefined;
    this.runningMean = this.addBuffer('running_mean', [channels], zerosInit);
    this.runningVar = this.addBuffer('running_var', [channels], onesInit);
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const scale = this.weight?.value as tf.Tensor1D | undefined;
    const offset = this.bias?.value as tf.Tensor1D | undefined;
    if (!ctx.training && ctx.batchStatisticGroups !== undefined && !this.affine) {
      return groupStandardise(x, ctx.batchStatisticGroups, this.eps);
    }
    if (!ctx.training) {
      // x * s + t with per-channel s and t from correctly rounded operations: the same bits on every backend, and
      // for an attack's input gradient one multiply, with only x kept alive for it.
      return tf.tidy(() => {
        const [s, t] = this.#inferenceAffine(scale, offset);
        return channelAffine(x, s, t);
      });
    }
    checkTrainingInput(x);
    return this.#keepStatistics(batchNormTraining(x, scale, offset, this.eps));
  }

  /**
   * Training-mode forward of several BNs at once, `xs[i]` through `bns[i]` (affine or not): the same outputs,
   * gradients and running statistics as each one's forward, with one meeting of the engine threads per eps each way
   * instead of one per BN.
   */
  static trainingGroup(bns: readonly BatchNorm2d[], xs: readonly tf.Tensor4D[]): tf.Tensor4D[] {
    const ys: tf.Tensor4D[] = new Array<tf.Tensor4D>(xs.length);
    const byEps = new Map<number, number[]>();
    bns.forEach((bn, i) => {
      checkTrainingInput(xs[i] as tf.Tensor4D);
      byEps.set(bn.eps, [...(byEps.get(bn.eps) ?? []), i]);
    });
    for (const [eps, members] of byEps) {
      const results = batchNormTrainingGroup(
        members.map((i) => xs[i] as tf.Tensor4D),
        eps,
        members.map((i) => (bns[i] as BatchNorm2d).#affineParameters()),
      );
      members.forEach(
        (i, k) => (ys[i] = (bns[i] as BatchNorm2d).#keepStatistics(results[k] as BatchNormTrainingResult)),
      );
    }
    return ys;
  }

  /** The scale and offset of an affine BN, or undefined. */
  #affineParameters(): BatchNormAffine | undefined {
    if (!this.weight || !this.bias) return undefined;
    return { scale: this.weight.value as tf.Tensor1D, offset: this.bias.value as tf.Tensor1D };
  }

  /** Moves the running statistics towards a training step's batch statistics (which it frees); returns its y. */
  #keepStatistics({ y, mean, variance, count }: BatchNormTrainingResult): tf.Tensor4D {
    try {
      // The whole batch's count: with engine threads the statistics are those of every thread's part.
      tf.tidy(() => this.#updateRunning(mean, variance, count));
    } finally {
      tf.dispose([mean, variance]);
    }
    return y;
  }

  /** Inference as x * s + t: the per-channel s and t (kept by the BN while cached; do not dispose them). */
  inferenceFactors(): [tf.Tensor1D, tf.Tensor1D] {
    return this.#inferenceAffine(
      this.weight?.value as tf.Tensor1D | undefined,
      this.bias?.value as tf.Tensor1D | undefined,
    );
  }

  /** Per-channel s and t of inference, computed anew on every call... */
  #inferenceAffine(scale: tf.Tensor1D | undefined, offset: tf.Tensor1D | undefined): [tf.Tensor1D, tf.Tensor1D] {
    const compute = (): [tf.Tensor1D, tf.Tensor1D] => {
      const rstd = tf.div(1, tf.sqrt(tf.add(this.runningVar.value, this.eps))) as tf.Tensor1D;
      const s = scale ? (tf.mul(scale, rstd) as tf.Tensor1D) : rstd;
      const shift = tf.neg(tf.mul(this.runningMean.value, s)) as tf.Tensor1D;
      return [s, offset ? (tf.add(shift, offset) as tf.Tensor1D) : shift];
    };
    // ...except for the supernet's non-affine BNs, whose s and t depend on the running statistics only: contribution
    // estimation runs them hundreds of times between two updates, so they are kept until a statistic is reassigned
    // (assign gives a variable a new dataId). Affine BNs are not cached: their scale is trained and has gradients.
    if (this.affine) return compute();
    const key = [this.runningMean.value.dataId, this.runningVar.value.dataId];
    const cached = this.#cache;
    if (cached && cached.key[0] === key[0] && cached.key[1] === key[1]) return cached.value;
    this.clearInferenceCache();
    const value = tf.tidy(compute);
    this.#cache = { key, value: [tf.keep(value[0]), tf.keep(value[1])] };
    return this.#cache.value;
  }

  #cache: { key: object[]; value: [tf.Tensor1D, tf.Tensor1D] } | undefined;

  /** Frees the cached inference factors of a non-affine BN (the owning network's dispose calls this). */
  clearInferenceCache(): void {
    if (this.#cache) tf.dispose(this.#cache.value);
    this.#cache = undefined;
  }

  /** Running averages move outside any gradient: only the assigned values escape, the ops stay off the loss. */
  #updateRunning(mean: tf.Tensor1D, variance: tf.Tensor1D, count: number): void {
    const m = this.momentum;
    if (tf.getKernel(RUNNING_STATS, tf.getBackend())) {
      // One kernel with the same float32 roundings as the ops below (cpu and wasm).
      const inputs = { runningMean: this.runningMean.value, runningVar: this.runningVar.value, mean, variance };
      const [rm, rv] = tf.engine().runKernel(RUNNING_STATS, inputs, { momentum: m, count }) as tf.Tensor[];
      this.runningMean.value.assign(rm as tf.Tensor);
      this.runningVar.value.assign(rv as tf.Tensor);
      return;
    }
    const unbiased = tf.mul(variance, count / (count - 1));
    this.runningMean.value.assign(tf.add(tf.mul(this.runningMean.value, 1 - m), tf.mul(mean, m)));
    this.runningVar.value.assign(tf.add(tf.mul(this.runningVar.value, 1 - m), tf.mul(unbiased, m)));
  }
}

/** Throws unless training-mode batch norm has more than one value per channel in `x`. */
function checkTrainingInput(x: tf.Tensor4D): void {
  const [n, h, w] = x.shape;
  if (n * h * w < 2) {
    throw new Error(`BatchNorm2d needs more than one value per channel in training, got input [${x.shape.join(', ')}]`);
  }
}

/** (x - mean) / sqrt(var + eps) with the biased mean and variance of each of `groups` consecutive equal groups of the batch. */
function groupStandardise(x: tf.Tensor4D, groups: number, eps: number): tf.Tensor4D {
  const [n, h, w] = x.shape;
  if (!Number.isInteger(groups) || groups < 1 || n % groups !== 0 || (n / groups) * h * w < 2) {
    throw new Error(
      `BatchNorm2d cannot split a batch of ${n} into ${groups} groups of more than one value per channel`,
    );
  }
  // Outside a gradient, one kernel where the backend has it (wasm), with the composed ops' bits; a gradient (the
  // search's FGSM) differentiates the composed ops.
  const recording = (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
  if (!recording && x.dtype === 'float32' && tf.getKernel(GROUP_STANDARDISE, tf.getBackend())) {
    return tf.engine().runKernel(GROUP_STANDARDISE, { x }, { groups, eps }) as tf.Tensor4D;
  }
  return composedGroupStandardise(x, groups, eps);
}
