import * as tf from '@tensorflow/tfjs-core';
import { drawAugmentation, resolveAugmentation, writeAugmented } from './augment.js';
import type { AugmentOption, Augmentation } from './augment.js';
import { BYTE_TO_UNIT } from './dataset.js';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { Rng, deriveSeedFromParts, permutation } from '../random.js';
import { STREAMS } from './streams.js';

/** How to cut one epoch of a data set into batches. */
export interface BatchOptions {
  batchSize: number;
  /** Run seed; with `epoch` it fixes the order and the augmentation of every batch. */
  seed: number;
  epoch: number;
  /** Visit images in a seeded random order (default) or in stored order. */
  shuffle?: boolean;
  /** First batch to produce: resuming at batch b gives exactly the batches b, b+1... of a full run. */
  startBatch?: number;
  /** Leave out a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Random crop (pad 4) and horizontal flip where the data set allows it; default off. */
  augment?: AugmentOption;
}

/** A batch as typed arrays: images NHWC float32 in [0, 1], int32 labels. */
export interface BatchArrays {
  x: Float32Array;
  y: Int32Array;
  size: number;
  /** Batch number within the epoch. */
  index: number;
}

/** A batch as tensors; the consumer disposes `x` and `y`. */
export interface Batch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  /** Batch number within the epoch. */
  index: number;
  epoch: number;
}

/** Number of batches in one epoch. */
export function batchCount(size: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** The order in which one epoch visits the images: a permutation from (seed, epoch), or 0..n-1. */
export function epochOrder(size: number, seed: number, epoch: number, shuffle = true): Int32Array {
  if (shuffle) return permutation(size, deriveSeedFromParts(seed, STREAMS.shuffle, epoch));
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  return order;
}

/** An epoch's plan: order, batch count and augmentation, validated once. */
export class EpochPlan {
  readonly order: Int32Array;
  readonly count: number;
  private readonly aug: Augmentation | undefined;

  /** Validates the options and computes the epoch's order. */
  constructor(
    readonly ds: Dataset,
    readonly options: BatchOptions,
  ) {
    const { batchSize, seed, epoch } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0)
      throw new DataError('BAD_OPTION', `batchSize must be a positive integer; got ${batchSize}`);
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new DataError('BAD_OPTION', `epoch must be a non-negative integer; got ${epoch}`);
    if (!Number.isInteger(seed)) throw new DataError('BAD_OPTION', `seed must be an integer; got ${seed}`);
    this.aug = resolveAugmentation(ds, options.augment);
    this.order = epochOrder(ds.size, seed, epoch, options.shuffle ?? true);
    this.count = batchCount(ds.size, batchSize, options.dropLast ?? false);
  }

  /** Batch `b` as typed arrays; depends only on (data set, seed, epoch, b) and the options. */
  arrays(b: number): BatchArrays {
    if (!Number.isInteger(b) || b < 0 || b >= this.count)
      throw new DataError('BAD_OPTION', `batch ${b} is not in 0..${this.count - 1}`);
    const { ds, order } = this;
    const bs = this.options.batchSize;
    const start = b * bs;
    const size = Math.min(bs, ds.size - start);
    const m = ds.imageSize;
    const x = new Float32Array(size * m);
    const y = new Int32Array(size);
    // Each batch has its own augmentation stream, so batch b never depends on batches before it.
    const rng = this.aug
      ? new Rng(deriveSeedFromParts(this.options.seed, STREAMS.augment, this.options.epoch, b))
      : undefined;
    for (let i = 0; i < size; i++) {
      const n = order[start + i]!;
      y[i] = ds.labels[n]!;
      if (this.aug && rng) {
        writeAugmented(ds, n, x, i * m, this.aug.padding, drawAugmentation(this.aug, rng));
      } else {
        const src = ds.pixels.subarray(n * m, (n + 1) * m);
        for (let k = 0; k < m; k++) x[i * m + k] = BYTE_TO_UNIT[src[k]!]!;
      }
    }
    return { x, y, size, index: b };
  }

  /** Batch `b` as tensors (the caller disposes them). */
  tensors(b: number): Batch {
    const { x, y, size } = this.arrays(b);
    const { height, width, channels } = this.ds;
    return {
      x: tf.tensor4d(x, [size, height, width, channels], 'float32'),
      y: tf.tensor1d(y, 'int32'),
      index: b,
      epoch: this.options.epoch,
    };
  }
}

/**
 * Yields the batches of one epoch from `startBatch` on. Each batch's tensors belong to the
 * consumer, who disposes them; abandoning the loop leaks nothing that was not yielded.
 */
export function* batches(ds: Dataset, options: BatchOptions): Generator<Batch, void, undefined> {
  const plan = new EpochPlan(ds, options);
  const first = options.startBatch ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > plan.count)
    throw new DataError('BAD_OPTION', `startBatch must be in 0..${plan.count}; got ${first}`);
  for (let b = first; b < plan.count; b++) yield plan.tensors(b);
}
