import * as tf from '@tensorflow/tfjs-core';
import type { OpName } from '@lrnas/schema';
import { concatParts } from '../kernels/index.js';
import { BatchNorm2d } from './batch-norm.js';
import { Conv2d, DepthwiseConv2d, ReLU } from './layers.js';
import { Layer, Sequential, type ForwardContext } from './module.js';
import { stagedForward, stagedForwardFrom, type StagedForward } from './staged.js';
import { avgPoolExcludePad, maxPoolPadded } from './pooling.js';

/** Stride of an operation: 2 on the input edges of a reduction cell, else 1. */
export type Stride = 1 | 2;

/**
 * A layer that starts with a ReLU and can also run on its input already through it (`r` = relu(x)): a cell's
 * inputs go through ReLU in both cells that read them, so the network computes relu(x) once for both.
 */
export interface ReluFirst {
  forwardOnRelu(r: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;
  stagedOnRelu(r: tf.Tensor4D, ctx: ForwardContext): StagedForward;
}

/** ReLU, k x k conv (no bias), BN: the preprocessing of cell inputs (`op.1.weight`, `op.2.*`). */
export class ReLUConvBN extends Layer implements ReluFirst {
  readonly op: Sequential;

  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: Stride, pad: number, affine = true) {
    super();
    this.op = this.addModule(
      'op',
      new Sequential([
        new ReLU(),
        new Conv2d(inChannels, outChannels, kernelSize, { stride, pad }),
        new BatchNorm2d(outChannels, { affine }),
      ]),
    );
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.op.forward(x, ctx);
  }

  staged(x: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return stagedForward(this.op, x, ctx);
  }

  forwardOnRelu(r: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.op.forwardFrom(1, r, ctx);
  }

  stagedOnRelu(r: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return stagedForwardFrom(this.op, 1, r, ctx);
  }
}

/**
 * Separable convolution, twice: (ReLU, depthwise k x k at `stride`, pointwise 1x1, BN), then
 * (ReLU, depthwise k x k, pointwise 1x1, BN). Names follow DARTS: `op.1` .. `op.7`.
 */
export class SepConv extends Layer {
  readonly op: Sequential;

  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: Stride, pad: number, affine = true) {
    super();
    this.op = this.addModule(
      'op',
      new Sequential([
        new ReLU(),
        new DepthwiseConv2d(inChannels, kernelSize, stride, pad),
        new Conv2d(inChannels, inChannels, 1),
        new BatchNorm2d(inChannels, { affine }),
        new ReLU(),
        new DepthwiseConv2d(inChannels, kernelSize, 1, pad),
        new Conv2d(inChannels, outChannels, 1),
        new BatchNorm2d(outChannels, { affine }),
      ]),
    );
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.op.forward(x, ctx);
  }

  staged(x: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return stagedForward(this.op, x, ctx);
  }
}

/** Dilated separable convolution: ReLU, depthwise k x k with dilation 2, pointwise 1x1, BN. */
export class DilConv extends Layer {
  readonly op: Sequential;

  constructor(inChannels: number, outChannels: number, kernelSize: number, stride: Stride, pad: number, affine = true) {
    super();
    this.op = this.addModule(
      'op',
      new Sequential([
        new ReLU(),
        new DepthwiseConv2d(inChannels, kernelSize, stride, pad, 2),
        new Conv2d(inChannels, outChannels, 1),
        new BatchNorm2d(outChannels, { affine }),
      ]),
    );
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.op.forward(x, ctx);
  }

  staged(x: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return stagedForward(this.op, x, ctx);
  }
}

/**
 * Halves the resolution without losing every other pixel: ReLU, then two 1x1 stride-2 convs
 * (each to out/2 channels), the second on the input shifted by one pixel, concatenated, BN.
 * Output is ceil(H/2) x ceil(W/2): on odd sizes the shifted path reads one zero row/column past
 * the edge (DARTS itself fails there); on even sizes it is exactly DARTS's FactorizedReduce.
 */
export class FactorizedReduce extends Layer implements ReluFirst {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, affine = true) {
    super();
    if (outChannels % 2 !== 0) {
      throw new Error(`FactorizedReduce needs an even number of output channels, got ${outChannels}`);
    }
    this.conv1 = this.addModule('conv_1', new Conv2d(inChannels, outChannels / 2, 1, { stride: 2 }));
    // Stride 1: it runs on the odd pixels, already picked (see forward).
    this.conv2 = this.addModule('conv_2', new Conv2d(inChannels, outChannels / 2, 1));
    this.bn = this.addModule('bn', new BatchNorm2d(outChannels, { affine }));
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => this.bn.forward(this.#halves(x, false), ctx));
  }

  staged(x: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return this.#staged(x, false, ctx);
  }

  forwardOnRelu(r: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => this.bn.forward(this.#halves(r, true), ctx));
  }

  stagedOnRelu(r: tf.Tensor4D, ctx: ForwardContext): StagedForward {
    return this.#staged(r, true, ctx);
  }

  *#staged(x: tf.Tensor4D, relued: boolean, ctx: ForwardContext): StagedForward {
    const halves = this.#halves(x, relued);
    const y = yield* stagedForward(this.bn, halves, ctx);
    if (y !== halves) halves.dispose();
    return y;
  }

  /** The two convolutions' outputs, concatenated (what the BN normalises); `relued`: x is already relu(x). */
  #halves(x: tf.Tensor4D, relued: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const r = relued ? x : tf.relu(x);
      // Path 2 reads r at (2i + 1, 2j + 1), zero past an odd edge (PyTorch's conv_2(x[:, :, 1:, 1:]) at stride 2):
      // a 2x2 stride-2 depthwise convolution whose only tap is (1, 1), padded by one row and column at the end,
      // picks exactly those pixels without a padded copy and a slice of r (two full copies each way), and its
      // gradient puts dy back on them. conv_2 then runs at stride 1 on those ceil(H/2) x ceil(W/2) pixels.
      const odd = tf.depthwiseConv2d(r, oddPixelTap(r.shape[3]), 2, [
        [0, 0],
        [0, 1],
        [0, 1],
        [0, 0],
      ]);
      return concatParts([this.conv1.forward(r), this.conv2.forward(odd)], 3);
    });
  }
}

/** A [2, 2, C, 1] depthwise filter that is 1 at tap (1, 1) and 0 elsewhere. */
function oddPixelTap(channels: number): tf.Tensor4D {
  const taps = new Float32Array(4 * channels);
  taps.fill(1, 3 * channels);
  return tf.tensor4d(taps, [2, 2, channels, 1]);
}

/** Returns its input unchanged (drop-path is never applied to it). */
export class Identity extends Layer {
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
}

/** The `none` operation: zeros, of the subsampled shape at stride 2 (ceil(H/2) x ceil(W/2)). */
export class Zero extends Layer {
  constructor(readonly stride: Stride) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    const [n, h, w, c] = x.shape;
    return this.stride === 1 ? tf.zerosLike(x) : tf.zeros([n, Math.ceil(h / 2), Math.ceil(w / 2), c]);
  }
}

/** 3x3 max pooling, padding 1. */
export class MaxPool3x3 extends Layer {
  constructor(readonly stride: Stride) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return maxPoolPadded(x, 3, this.stride, 1);
  }
}

/** 3x3 average pooling, padding 1, padding excluded from the count. */
export class AvgPool3x3 extends Layer {
  constructor(readonly stride: Stride) {
    super();
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return avgPoolExcludePad(x, 3, this.stride, 1);
  }
}

/** Builds one candidate operation on `channels` channels (in = out). */
export type OpFactory = (channels: number, stride: Stride, affine: boolean) => Layer;

/** The operations of the search space, keyed by the names of `OPS` (lrnas-method.md section 1). */
export const OP_FACTORIES: Readonly<Record<OpName, OpFactory>> = {
  none: (_c, stride) => new Zero(stride),
  max_pool_3x3: (_c, stride) => new MaxPool3x3(stride),
  avg_pool_3x3: (_c, stride) => new AvgPool3x3(stride),
  skip_connect: (c, stride, affine) => (stride === 1 ? new Identity() : new FactorizedReduce(c, c, affine)),
  sep_conv_3x3: (c, stride, affine) => new SepConv(c, c, 3, stride, 1, affine),
  sep_conv_5x5: (c, stride, affine) => new SepConv(c, c, 5, stride, 2, affine),
  dil_conv_3x3: (c, stride, affine) => new DilConv(c, c, 3, stride, 2, affine),
  dil_conv_5x5: (c, stride, affine) => new DilConv(c, c, 5, stride, 4, affine),
};

/** Builds the operation `name` (in = out = `channels`) at `stride`; `affine` controls its BNs. */
export function createOp(name: OpName, channels: number, stride: Stride, affine = true): Layer {
  const factory = OP_FACTORIES[name];
  if (!factory) throw new Error(`unknown operation ${JSON.stringify(name)}`);
  return factory(channels, stride, affine);
}
