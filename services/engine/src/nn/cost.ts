import type { Genotype, GenotypePair, OpName } from '@lrnas/schema';
import {
  auxiliaryLayer,
  CELL_MULTIPLIER,
  planCells,
  STEM_MULTIPLIER,
  validateNetworkShape,
  type NetworkShape,
} from './plan.js';
import type { Stride } from './ops.js';

/** Size and compute of a network. */
export interface NetworkCost {
  /** Trainable scalars, counted as the reference (PyTorch DARTS) implementation does. */
  params: number;
  /** Multiply-accumulates of one forward pass on one image (see `countFlops`). */
  flops: number;
}

/** Parameters and multiply-accumulates of one component at a given output resolution. */
interface Cost {
  params: number;
  macs: number;
}

const ZERO: Cost = { params: 0, macs: 0 };

/** Parameters of a BN over `c` channels: scale and shift when affine, none otherwise (running stats are buffers). */
function bn(c: number, affine: boolean): number {
  return affine ? 2 * c : 0;
}

/** A k x k dense conv without bias producing `out` x `out` pixels. */
function conv(inC: number, outC: number, k: number, out: number): Cost {
  const params = k * k * inC * outC;
  return { params, macs: params * out * out };
}

/** A k x k depthwise conv without bias on `c` channels producing `out` x `out` pixels. */
function depthwise(c: number, k: number, out: number): Cost {
  return { params: k * k * c, macs: k * k * c * out * out };
}

function sum(...costs: Cost[]): Cost {
  return costs.reduce((a, b) => ({ params: a.params + b.params, macs: a.macs + b.macs }), ZERO);
}

function reluConvBn(inC: number, outC: number, k: number, out: number, affine: boolean): Cost {
  return sum(conv(inC, outC, k, out), { params: bn(outC, affine), macs: 0 });
}

function factorizedReduce(inC: number, outC: number, out: number, affine: boolean): Cost {
  return sum(conv(inC, outC / 2, 1, out), conv(inC, outC / 2, 1, out), { params: bn(outC, affine), macs: 0 });
}

/** One candidate operation on `c` channels (in = out) whose output is `out` x `out`. */
function opCost(name: OpName, c: number, stride: Stride, out: number, affine: boolean): Cost {
  switch (name) {
    case 'none':
    case 'max_pool_3x3':
    case 'avg_pool_3x3':
      return ZERO;
    case 'skip_connect':
      return stride === 1 ? ZERO : factorizedReduce(c, c, out, affine);
    case 'sep_conv_3x3':
    case 'sep_conv_5x5': {
      const k = name === 'sep_conv_3x3' ? 3 : 5;
      const half = sum(depthwise(c, k, out), conv(c, c, 1, out), { params: bn(c, affine), macs: 0 });
      return sum(half, half);
    }
    case 'dil_conv_3x3':
    case 'dil_conv_5x5': {
      const k = name === 'dil_conv_3x3' ? 3 : 5;
      return sum(depthwise(c, k, out), conv(c, c, 1, out), { params: bn(c, affine), macs: 0 });
    }
  }
}

/** Trainable parameters of operation `name` on `channels` channels at `stride` (what `createOp` builds). */
export function opParamCount(name: OpName, channels: number, stride: Stride, affine = true): number {
  return opCost(name, channels, stride, 1, affine).params;
}

/**
 * Parameters and multiply-accumulates of the evaluation network built from `genotype` (see
 * `countParameters` and `countFlops`), computed from the genotype alone: no tensors, microseconds.
 */
export function networkCost(genotype: Genotype, shape: NetworkShape, imageSize = 32): NetworkCost {
  validateNetworkShape(shape);
  if (!Number.isSafeInteger(imageSize) || imageSize < 1) {
    throw new RangeError(`imageSize must be a positive integer, got ${String(imageSize)}`);
  }
  const stemC = STEM_MULTIPLIER * shape.channels;
  let total = sum(conv(shape.inputChannels, stemC, 3, imageSize), { params: bn(stemC, true), macs: 0 });
  let prevSize = imageSize;
  let lastC = stemC;
  for (const cell of planCells(shape)) {
    const outSize = cell.reduction ? Math.ceil(prevSize / 2) : prevSize;
    const pre0 = cell.reductionPrev
      ? factorizedReduce(cell.cPrevPrev, cell.c, prevSize, true)
      : reluConvBn(cell.cPrevPrev, cell.c, 1, prevSize, true);
    const pre1 = reluConvBn(cell.cPrev, cell.c, 1, prevSize, true);
    const pairs: GenotypePair[] = cell.reduction ? genotype.reduce : genotype.normal;
    const ops = pairs.map(([name, input]) => {
      const stride: Stride = cell.reduction && input < 2 ? 2 : 1;
      return opCost(name, cell.c, stride, outSize, true);
    });
    total = sum(total, pre0, pre1, ...ops);
    prevSize = outSize;
    lastC = CELL_MULTIPLIER * cell.c;
  }
  const classifier: Cost = { params: lastC * shape.classes + shape.classes, macs: lastC * shape.classes };
  total = sum(total, classifier);
  return { params: total.params, flops: total.macs };
}

/**
 * Trainable parameters of the evaluation network, exactly as the reference implementation counts
 * them: conv weights (no conv bias), BN scale and shift, classifier weight and bias; BN running
 * statistics and the auxiliary head are not counted. DARTS_V2 at C=36, L=20, 10 classes: 3,349,342.
 */
export function countParameters(genotype: Genotype, shape: NetworkShape): number {
  return networkCost(genotype, shape).params;
}

/**
 * Multiply-accumulates of one forward pass of one `imageSize` x `imageSize` image (the number
 * usually reported as "FLOPs" for these networks): every convolution (stem, preprocessing,
 * depthwise and pointwise convs of the operations, FactorizedReduce) counts k*k*in/groups*out per
 * output pixel at the reference network's strides, plus in*out for the classifier. Not counted:
 * BN, ReLU, pooling, additions, concatenation, biases, `none`, and the auxiliary head.
 */
export function countFlops(genotype: Genotype, shape: NetworkShape, imageSize: number): number {
  return networkCost(genotype, shape, imageSize).flops;
}

/** Trainable parameters of the auxiliary head on `inChannels` channels (not part of `countParameters`). */
export function auxiliaryHeadParamCount(inChannels: number, classes: number): number {
  return inChannels * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * classes + classes;
}

/** Channels entering the auxiliary head: the output of cell 2L/3. */
export function auxiliaryInputChannels(shape: NetworkShape): number {
  const cell = planCells(shape)[auxiliaryLayer(shape.layers)];
  if (!cell) throw new RangeError(`a network of ${shape.layers} layers has no cell ${auxiliaryLayer(shape.layers)}`);
  return CELL_MULTIPLIER * cell.c;
}
