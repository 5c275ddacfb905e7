import * as tf from '@tensorflow/tfjs-core';
import { conv2dWithBias } from '../kernels/index.js';
import { BatchNorm2d } from './batch-norm.js';
import { depthwiseConv2d } from './depthwise.js';
import { fanInUniformInit } from './init.js';
import { Layer, Module, type ForwardContext, type VariableSlot } from './module.js';

/** Zero padding of the two spatial axes of an NHWC tensor: [[0, 0], [top, bottom], [left, right], [0, 0]]. */
export type ExplicitPadding = [[0, 0], [number, number], [number, number], [0, 0]];

/** ReLU (no parameters). */
export class ReLU extends Layer {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.relu(x);
  }
}

/** Options of a convolution; `pad` is symmetric zero padding or explicit padding. */
export interface ConvOptions {
  stride?: 1 | 2;
  pad?: number | ExplicitPadding;
}

/** Dense convolution without bias; weight `[k, k, in, out]`. */
export class Conv2d extends Layer {
  readonly weight: VariableSlot;
  readonly stride: 1 | 2;
  readonly pad: number | ExplicitPadding;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: ConvOptions = {},
  ) {
    super();
    this.stride = options.stride ?? 1;
    this.pad = options.pad ?? 0;
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.addParameter(
      'weight',
      [kernelSize, kernelSize, inChannels, outChannels],
      fanInUniformInit(fanIn),
    );
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.conv2d(x, this.weight.value as tf.Tensor4D, this.stride, this.pad);
  }

  /**
   * This conv and a following non-affine BN in inference as one conv: weights scaled by the BN's s, its t as the
   * conv's fused bias. Only the supernet has non-affine BNs; contribution estimation runs them hundreds of times per
   * permutation, and a separate per-channel multiply-add costs more than the conv itself on wasm.
   */
  override fuseForward(next: Layer | undefined, x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D | undefined {
    if (ctx.training || ctx.batchStatisticGroups !== undefined || !(next instanceof BatchNorm2d) || next.affine)
      return undefined;
    const [s, t] = next.inferenceFactors();
    return conv2dWithBias(x, this.#scaledFilter(s), t, this.stride, this.pad);
  }

  #scaled: { key: [object, object]; filter: tf.Tensor4D } | undefined;

  /**
   * The weights times a BN's s, kept until either changes (an update assigns the weight new data; the BN's cached s
   * is a new tensor when its statistics change): the supernet's inference ran one multiply per conv per pass, about
   * a tenth of a forward pass on wasm.
   */
  #scaledFilter(s: tf.Tensor1D): tf.Tensor4D {
    const weight = this.weight.value;
    const cached = this.#scaled;
    if (cached && cached.key[0] === weight.dataId && cached.key[1] === s.dataId) return cached.filter;
    this.clearInferenceCache();
    const filter = tf.keep(tf.tidy(() => tf.mul(weight, s) as tf.Tensor4D));
    this.#scaled = { key: [weight.dataId, s.dataId], filter };
    return filter;
  }

  /** Frees the cached scaled weights (the owning network's dispose calls this). */
  clearInferenceCache(): void {
    this.#scaled?.filter.dispose();
    this.#scaled = undefined;
  }
}

/** Depthwise convolution without bias (one k x k filter per channel); weight `[k, k, C, 1]`. */
export class DepthwiseConv2d extends Layer {
  readonly weight: VariableSlot;

  constructor(
    readonly channels: number,
    readonly kernelSize: number,
    readonly stride: 1 | 2,
    readonly pad: number,
    readonly dilation: 1 | 2 = 1,
  ) {
    super();
    // PyTorch's fan-in of a grouped conv: (in / groups) * k * k = k * k.
    this.weight = this.addParameter(
      'weight',
      [kernelSize, kernelSize, channels, 1],
      fanInUniformInit(kernelSize * kernelSize),
    );
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return depthwiseConv2d(x, this.weight.value as tf.Tensor4D, this.stride, this.pad, this.dilation);
  }
}

/** Fully connected layer with bias; weight `[in, out]`, bias `[out]`. */
export class Linear extends Module {
  readonly weight: VariableSlot;
  readonly bias: VariableSlot;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    super();
    this.weight = this.addParameter('weight', [inFeatures, outFeatures], fanInUniformInit(inFeatures));
    this.bias = this.addParameter('bias', [outFeatures], fanInUniformInit(inFeatures));
  }

  /** `[N, in]` to `[N, out]`. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weight.value as tf.Tensor2D), this.bias.value));
  }
}

/** Mean over the spatial axes: `[N, H, W, C]` to `[N, C]`. */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]);
}
