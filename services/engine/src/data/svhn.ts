import { join } from 'node:path';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { locateDataDir, readDataFile } from './files.js';
import { readMat5 } from './mat5.js';
import type { MatVariable } from './mat5.js';

/** SVHN class names: label k is the digit k (the files label the digit 0 as 10). */
export const SVHN_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

/** Loads SVHN cropped digits from `train_32x32.mat` and `test_32x32.mat` in `dataDir` (or `dataDir/svhn`). */
export async function loadSvhn(dataDir: string | undefined): Promise<{ train: Dataset; test: Dataset }> {
  const dir = await locateDataDir(dataDir, 'SVHN (cropped digits, train_32x32.mat)', 'train_32x32.mat', ['svhn']);
  return {
    train: await readSvhnFile(join(dir, 'train_32x32.mat'), 'train'),
    test: await readSvhnFile(join(dir, 'test_32x32.mat'), 'test'),
  };
}

/** Reads one SVHN MAT-file: `X` (H x W x 3 x N, uint8, column-major) and `y` (N labels 1..10). */
export async function readSvhnFile(file: string, split: string): Promise<Dataset> {
  const variables = readMat5(await readDataFile(file), file);
  const x = variables.get('X');
  const y = variables.get('y');
  if (!x || !y) {
    const found = [...variables.keys()].join(', ') || 'none';
    throw new DataError(
      'MISSING_VARIABLE',
      `lacks variable ${x ? 'y' : 'X'} (variables found: ${found}): not an SVHN cropped-digits file`,
      file,
    );
  }
  const { height, width, count, data } = checkImages(x, file);
  const labels = svhnLabels(y, count, file);
  return new Dataset({
    name: 'svhn',
    split,
    height,
    width,
    channels: 3,
    classes: 10,
    classNames: SVHN_CLASSES,
    pixels: toNhwcInPlace(data, height, width, count),
    labels,
    flippable: false,
  });
}

function checkImages(x: MatVariable, file: string): { height: number; width: number; count: number; data: Uint8Array } {
  // MATLAB drops trailing singleton dimensions: one image is H x W x 3.
  const dims = x.dims.length === 3 ? [...x.dims, 1] : x.dims;
  if (x.className !== 'uint8' || !(x.real instanceof Uint8Array) || x.complex || dims.length !== 4 || dims[2] !== 3) {
    const stored = x.real ? x.real.constructor.name : 'no data';
    throw new DataError(
      'BAD_FORMAT',
      `X must be a real uint8 array of H x W x 3 x N; found ${x.complex ? 'complex ' : ''}${x.className} ${x.dims.join('x')} (${stored})`,
      file,
    );
  }
  return { height: dims[0]!, width: dims[1]!, count: dims[3]!, data: x.real };
}

function svhnLabels(y: MatVariable, count: number, file: string): Int32Array {
  const values = y.real;
  if (!values || y.complex)
    throw new DataError('BAD_FORMAT', `y must be a real numeric array; found ${y.className} ${y.dims.join('x')}`, file);
  if (values.length !== count || y.dims.filter((d) => d !== 1).length > 1) {
    throw new DataError('BAD_SIZE', `y is ${y.dims.join('x')} but X holds ${count} images: y must be ${count}x1`, file);
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 1 || v > 10)
      throw new DataError('BAD_LABEL', `y(${i + 1}) = ${v} is not a label 1..10`, file);
    labels[i] = v % 10;
  }
  return labels;
}

/**
 * Reorders each image block of column-major H x W x 3 (element (r, c, ch) at r + H*c + H*W*ch) into
 * HWC order, in place: images are contiguous in both layouts, so one image of scratch suffices.
 */
function toNhwcInPlace(data: Uint8Array, height: number, width: number, count: number): Uint8Array {
  const m = height * width * 3;
  const plane = height * width;
  const scratch = new Uint8Array(m);
  for (let n = 0; n < count; n++) {
    const block = data.subarray(n * m, (n + 1) * m);
    scratch.set(block);
    let o = 0;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const at = r + height * c;
        block[o++] = scratch[at]!;
        block[o++] = scratch[at + plane]!;
        block[o++] = scratch[at + 2 * plane]!;
      }
    }
  }
  return data;
}
