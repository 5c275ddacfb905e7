import { join } from 'node:path';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { fileSize, locateDataDir, readDataFile } from './files.js';

/** CIFAR-10 class names, in label order. */
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** CIFAR-100 fine class names, in label order (alphabetical, as in the data set's meta file). */
export const CIFAR100_CLASSES = [
  'apple',
  'aquarium_fish',
  'baby',
  'bear',
  'beaver',
  'bed',
  'bee',
  'beetle',
  'bicycle',
  'bottle',
  'bowl',
  'boy',
  'bridge',
  'bus',
  'butterfly',
  'camel',
  'can',
  'castle',
  'caterpillar',
  'cattle',
  'chair',
  'chimpanzee',
  'clock',
  'cloud',
  'cockroach',
  'couch',
  'crab',
  'crocodile',
  'cup',
  'dinosaur',
  'dolphin',
  'elephant',
  'flatfish',
  'forest',
  'fox',
  'girl',
  'hamster',
  'house',
  'kangaroo',
  'keyboard',
  'lamp',
  'lawn_mower',
  'leopard',
  'lion',
  'lizard',
  'lobster',
  'man',
  'maple_tree',
  'motorcycle',
  'mountain',
  'mouse',
  'mushroom',
  'oak_tree',
  'orange',
  'orchid',
  'otter',
  'palm_tree',
  'pear',
  'pickup_truck',
  'pine_tree',
  'plain',
  'plate',
  'poppy',
  'porcupine',
  'possum',
  'rabbit',
  'raccoon',
  'ray',
  'road',
  'rocket',
  'rose',
  'sea',
  'seal',
  'shark',
  'shrew',
  'skunk',
  'skyscraper',
  'snail',
  'snake',
  'spider',
  'squirrel',
  'streetcar',
  'sunflower',
  'sweet_pepper',
  'table',
  'tank',
  'telephone',
  'television',
  'tiger',
  'tractor',
  'train',
  'trout',
  'tulip',
  'turtle',
  'wardrobe',
  'whale',
  'willow_tree',
  'wolf',
  'woman',
  'worm',
] as const;

const SIDE = 32;
const PLANE = SIDE * SIDE;
const IMAGE = 3 * PLANE;

/** Record layout of one CIFAR binary variant. */
interface CifarFormat {
  what: string;
  /** Label bytes before the pixels; the target label is the last of them. */
  labelBytes: number;
  /** Class count of each label byte, in file order (CIFAR-100: 20 coarse, 100 fine). */
  labelClasses: readonly number[];
}

const CIFAR10: CifarFormat = { what: 'CIFAR-10 (binary version)', labelBytes: 1, labelClasses: [10] };
const CIFAR100: CifarFormat = { what: 'CIFAR-100 (binary version)', labelBytes: 2, labelClasses: [20, 100] };

/** Loads CIFAR-10 from `cifar-10-batches-bin/` or the folder that contains it. */
export async function loadCifar10(dataDir: string | undefined): Promise<{ train: Dataset; test: Dataset }> {
  const dir = await locateDataDir(dataDir, 'CIFAR-10 (binary version)', 'data_batch_1.bin', ['cifar-10-batches-bin']);
  const trainFiles = [1, 2, 3, 4, 5].map((i) => join(dir, `data_batch_${i}.bin`));
  const meta = { classes: 10, classNames: CIFAR10_CLASSES, name: 'cifar10' };
  return {
    train: await readCifarFiles(trainFiles, CIFAR10, { ...meta, split: 'train' }),
    test: await readCifarFiles([join(dir, 'test_batch.bin')], CIFAR10, { ...meta, split: 'test' }),
  };
}

/** Loads CIFAR-100 (fine labels) from `cifar-100-binary/` or the folder that contains it. */
export async function loadCifar100(dataDir: string | undefined): Promise<{ train: Dataset; test: Dataset }> {
  const dir = await locateDataDir(dataDir, 'CIFAR-100 (binary version)', 'train.bin', ['cifar-100-binary']);
  const meta = { classes: 100, classNames: CIFAR100_CLASSES, name: 'cifar100' };
  return {
    train: await readCifarFiles([join(dir, 'train.bin')], CIFAR100, { ...meta, split: 'train' }),
    test: await readCifarFiles([join(dir, 'test.bin')], CIFAR100, { ...meta, split: 'test' }),
  };
}

/** Reads and concatenates CIFAR record files; sizes are checked before anything is allocated. */
async function readCifarFiles(
  files: string[],
  format: CifarFormat,
  meta: { name: string; split: string; classes: number; classNames: readonly string[] },
): Promise<Dataset> {
  const record = format.labelBytes + IMAGE;
  const counts: number[] = [];
  for (const file of files) counts.push(checkRecordCount(file, await fileSize(file), format));
  const total = counts.reduce((a, b) => a + b, 0);
  const pixels = new Uint8Array(total * IMAGE);
  const labels = new Int32Array(total);
  let n = 0;
  for (const [f, file] of files.entries()) {
    const bytes = await readDataFile(file);
    // The file may have changed since stat; the count must still hold.
    if (bytes.length !== counts[f]! * record) throw new DataError('BAD_SIZE', `changed size while being read`, file);
    decodeRecords(bytes, file, format, pixels.subarray(n * IMAGE), labels.subarray(n));
    n += counts[f]!;
  }
  return new Dataset({ ...meta, height: SIDE, width: SIDE, channels: 3, pixels, labels, flippable: true });
}

/** Number of whole records in a file of `size` bytes, or a DataError saying why it does not fit. */
function checkRecordCount(file: string, size: number, format: CifarFormat): number {
  const record = format.labelBytes + IMAGE;
  if (size === 0)
    throw new DataError('TRUNCATED', `is empty (expected ${format.what} records of ${record} bytes)`, file);
  if (size % record === 0) return size / record;
  const other = format.labelBytes === 1 ? CIFAR100 : CIFAR10;
  const otherRecord = other.labelBytes + IMAGE;
  if (size % otherRecord === 0) {
    throw new DataError(
      'BAD_SIZE',
      `${size} bytes is not a whole number of ${record}-byte ${format.what} records, but fits ${otherRecord}-byte ${other.what} records: wrong data set?`,
      file,
    );
  }
  const whole = Math.floor(size / record);
  throw new DataError(
    'TRUNCATED',
    `${size} bytes is not a whole number of ${record}-byte ${format.what} records: record ${whole + 1} is cut off after ${size - whole * record} bytes`,
    file,
  );
}

/** Label bytes and R, G, B planes (each row-major 32x32) to NHWC pixels and the target label. */
function decodeRecords(
  bytes: Uint8Array,
  file: string,
  format: CifarFormat,
  pixels: Uint8Array,
  labels: Int32Array,
): void {
  const record = format.labelBytes + IMAGE;
  const count = bytes.length / record;
  for (let i = 0; i < count; i++) {
    const at = i * record;
    for (let k = 0; k < format.labelBytes; k++) {
      const value = bytes[at + k]!;
      const classes = format.labelClasses[k]!;
      if (value >= classes)
        throw new DataError(
          'BAD_LABEL',
          `record ${i} has label byte ${k} = ${value}, outside 0..${classes - 1}: not ${format.what} data?`,
          file,
        );
    }
    labels[i] = bytes[at + format.labelBytes - 1]!;
    const src = at + format.labelBytes;
    const dst = i * IMAGE;
    for (let p = 0; p < PLANE; p++) {
      pixels[dst + 3 * p] = bytes[src + p]!;
      pixels[dst + 3 * p + 1] = bytes[src + PLANE + p]!;
      pixels[dst + 3 * p + 2] = bytes[src + 2 * PLANE + p]!;
    }
  }
}
