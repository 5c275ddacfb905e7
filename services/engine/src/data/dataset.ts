import * as tf from '@tensorflow/tfjs-core';
import { DataError } from './errors.js';

/** Image geometry and class count of a data set. */
export interface DatasetShape {
  height: number;
  width: number;
  channels: number;
  classes: number;
}

/** Everything needed to build a Dataset; `pixels` are bytes 0-255 in NHWC order. */
export interface DatasetInit extends DatasetShape {
  name: string;
  split: string;
  pixels: Uint8Array;
  labels: Int32Array;
  classNames?: readonly string[];
  /** Whether a horizontal mirror image still shows the same class (photos yes, digits no). */
  flippable: boolean;
}

/** 1/255 for every byte: the same division everywhere, and a table lookup is faster than dividing. */
export const BYTE_TO_UNIT = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) table[i] = i / 255;
  return table;
})();

/**
 * A labelled image set. Pixels stay bytes in memory (CIFAR-10 train: 150 MB instead of 600 MB as
 * float32); `images()` and the batch iterator convert to float32 in [0, 1] only what they hand out.
 */
export class Dataset implements DatasetShape {
  readonly name: string;
  readonly split: string;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classes: number;
  readonly classNames: readonly string[] | undefined;
  readonly flippable: boolean;
  /** NHWC bytes, `size * imageSize` of them. */
  readonly pixels: Uint8Array;
  readonly labels: Int32Array;

  /** Checks that pixels, labels and shape agree and that every label is a class. */
  constructor(init: DatasetInit) {
    this.name = init.name;
    this.split = init.split;
    this.height = init.height;
    this.width = init.width;
    this.channels = init.channels;
    this.classes = init.classes;
    this.classNames = init.classNames;
    this.flippable = init.flippable;
    this.pixels = init.pixels;
    this.labels = init.labels;
    const where = `${init.name}/${init.split}`;
    for (const key of ['height', 'width', 'channels', 'classes'] as const) {
      if (!Number.isInteger(init[key]) || init[key] <= 0)
        throw new DataError('BAD_SIZE', `${where}: ${key} must be a positive integer; got ${init[key]}`);
    }
    if (init.pixels.length !== init.labels.length * this.imageSize) {
      throw new DataError(
        'BAD_SIZE',
        `${where}: ${init.pixels.length} pixel bytes do not make ${init.labels.length} images of ${this.imageSize}`,
      );
    }
    if (init.classNames && init.classNames.length !== init.classes) {
      throw new DataError('BAD_SIZE', `${where}: ${init.classNames.length} class names for ${init.classes} classes`);
    }
    const bad = firstLabelOutside(init.labels, init.classes);
    if (bad >= 0)
      throw new DataError(
        'BAD_LABEL',
        `${where}: label ${init.labels[bad]} of image ${bad} is not in 0..${init.classes - 1}`,
      );
  }

  /** Number of images. */
  get size(): number {
    return this.labels.length;
  }

  /** Values per image: height * width * channels. */
  get imageSize(): number {
    return this.height * this.width * this.channels;
  }

  /** Images start..end-1 as float32 NHWC in [0, 1] (a fresh array). */
  images(start = 0, end = this.size): Float32Array {
    checkRange(start, end, this.size);
    const src = this.pixels.subarray(start * this.imageSize, end * this.imageSize);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = BYTE_TO_UNIT[src[i]!]!;
    return out;
  }

  /** The byte at (image n, row r, column c, channel ch). */
  pixel(n: number, r: number, c: number, ch: number): number {
    return this.pixels[((n * this.height + r) * this.width + c) * this.channels + ch]!;
  }

  /** Images and labels start..end-1 as tensors (the caller disposes them). */
  toTensors(start = 0, end = this.size): { x: tf.Tensor4D; y: tf.Tensor1D } {
    const images = this.images(start, end);
    const n = end - start;
    return {
      x: tf.tensor4d(images, [n, this.height, this.width, this.channels], 'float32'),
      y: tf.tensor1d(this.labels.slice(start, end), 'int32'),
    };
  }

  /** A new data set of the images at `indices`, in that order (pixels are copied). */
  subset(indices: ArrayLike<number>, split = this.split): Dataset {
    const m = this.imageSize;
    const pixels = new Uint8Array(indices.length * m);
    const labels = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i]!;
      if (!Number.isInteger(k) || k < 0 || k >= this.size)
        throw new DataError('BAD_OPTION', `${this.name}/${this.split}: index ${k} is not an image (size ${this.size})`);
      pixels.set(this.pixels.subarray(k * m, (k + 1) * m), i * m);
      labels[i] = this.labels[k]!;
    }
    return this.derive(pixels, labels, split);
  }

  /** The first `count` images as a data set that shares this one's memory. */
  head(count: number, split = this.split): Dataset {
    checkRange(0, count, this.size);
    return this.derive(this.pixels.subarray(0, count * this.imageSize), this.labels.subarray(0, count), split);
  }

  /** Number of images per class. */
  classCounts(): number[] {
    const counts = new Array<number>(this.classes).fill(0);
    for (const label of this.labels) counts[label]!++;
    return counts;
  }

  private derive(pixels: Uint8Array, labels: Int32Array, split: string): Dataset {
    return new Dataset({
      ...this.shape(),
      name: this.name,
      split,
      pixels,
      labels,
      classNames: this.classNames,
      flippable: this.flippable,
    });
  }

  /** Geometry and class count only. */
  shape(): DatasetShape {
    return { height: this.height, width: this.width, channels: this.channels, classes: this.classes };
  }
}

/** Index of the first label outside 0..classes-1, or -1. */
export function firstLabelOutside(labels: ArrayLike<number>, classes: number): number {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!(label >= 0 && label < classes && Number.isInteger(label))) return i;
  }
  return -1;
}

function checkRange(start: number, end: number, size: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > size) {
    throw new DataError('BAD_OPTION', `range ${start}..${end} is not within 0..${size}`);
  }
}
