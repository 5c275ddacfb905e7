import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readDataFile } from './files.js';
import { scanByteRows } from './int-rows.js';

/** Fashion-MNIST class names, in label order. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
/** MNIST class names: label k is the digit k. */
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

const SIDE = 28;
const IMAGE = SIDE * SIDE;

/**
 * All 10,000 digits of the `mnist` package, in class order (no split). Its files hold 784-float
 * images rounded to 3 decimals of byte/255; rounding value*255 recovers the original bytes exactly.
 */
export async function loadMnistPackage(): Promise<Dataset> {
  const dir = packageDir('mnist', 'src/digits');
  const parts: Uint8Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    const data = dataField(await readJson(file), file);
    if (data.length % IMAGE !== 0)
      throw new DataError(
        'BAD_SIZE',
        `data holds ${data.length} values, not a whole number of ${IMAGE}-value images`,
        file,
      );
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1))
        throw new DataError(
          'BAD_FORMAT',
          `value ${i} (image ${Math.floor(i / IMAGE)}) is ${JSON.stringify(v)}, not a number in [0, 1]`,
          file,
        );
      bytes[i] = Math.round(v * 255);
    }
    parts.push(bytes);
    for (let k = 0; k < data.length / IMAGE; k++) labels.push(digit);
  }
  return packaged('mnist', parts, labels, MNIST_CLASSES);
}

/**
 * All images of the `fashion-mnist` package, in class order (no split). Each file is
 * `{"data": [[784 ints 0-255], ...]}`; the package ships two empty rows in class 0, which are
 * skipped (its own accessor miscounts because of them and of its flat-array arithmetic).
 */
export async function loadFashionMnistPackage(): Promise<Dataset> {
  const dir = packageDir('fashion-mnist', 'src/clothes');
  const parts: Uint8Array[] = [];
  const labels: number[] = [];
  for (let label = 0; label < 10; label++) {
    const file = join(dir, `${label}.json`);
    const { bytes, rows } = scanByteRows(await readDataFile(file), IMAGE, file);
    parts.push(bytes);
    for (let k = 0; k < rows; k++) labels.push(label);
  }
  return packaged('fashion-mnist', parts, labels, FASHION_MNIST_CLASSES);
}

function packaged(name: string, parts: Uint8Array[], labels: number[], classNames: readonly string[]): Dataset {
  const pixels = new Uint8Array(labels.length * IMAGE);
  let at = 0;
  for (const part of parts) {
    pixels.set(part, at);
    at += part.length;
  }
  return new Dataset({
    name,
    split: 'all',
    height: SIDE,
    width: SIDE,
    channels: 1,
    classes: 10,
    classNames,
    pixels,
    labels: Int32Array.from(labels),
    flippable: false,
  });
}

/** Directory `sub` inside an installed npm package, found the way Node resolves imports from here. */
function packageDir(pkg: string, sub: string): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), sub);
  } catch (error) {
    throw new DataError(
      'MISSING',
      `the npm package "${pkg}" is not installed (npm i -w @lrnas/engine ${pkg})`,
      undefined,
      { cause: error },
    );
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = (await readDataFile(file)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DataError(
      'BAD_FORMAT',
      `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      file,
      { cause: error },
    );
  }
}

function dataField(json: unknown, file: string): unknown[] {
  const data = typeof json === 'object' && json !== null ? (json as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new DataError('BAD_FORMAT', 'has no "data" array', file);
  return data;
}
