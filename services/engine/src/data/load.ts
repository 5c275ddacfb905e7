import type { DatasetName } from '@lrnas/schema';
import { DATASETS } from '@lrnas/schema';
import { loadCifar10, loadCifar100 } from './cifar.js';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { loadFashionMnistPackage, loadMnistPackage } from './packaged.js';
import { limitSize, splitTrainTest } from './splits.js';
import { loadSvhn } from './svhn.js';

/** What `loadDataset` reads. */
export interface LoadDatasetOptions {
  name: DatasetName;
  /** Folder of CIFAR-10, CIFAR-100 or SVHN files (or its parent); defaults to LRNAS_DATA_DIR. */
  dataDir?: string;
  /** Keep a seeded random subset of at most this many training images. */
  trainLimit?: number;
  /** Keep a seeded random subset of at most this many test images. */
  testLimit?: number;
  /** Run seed: picks the limited subsets. */
  seed: number;
  /** Test images held out of the packaged sets without a split (default: mnist 2,000, fashion-mnist 10,000). */
  testSize?: number;
  /**
   * Seed of that held-out split (default 0). Deliberately not the run seed: runs with other seeds
   * must not train on images that another run's evaluation counts as test images.
   */
  splitSeed?: number;
}

/** Default held-out test sizes of the packaged sets. */
export const DEFAULT_TEST_SIZE = { mnist: 2000, 'fashion-mnist': 10000 } as const;
/** Default seed of the packaged sets' train/test split. */
export const DEFAULT_SPLIT_SEED = 0;

/** Loads a data set's train and test parts; nothing is downloaded. */
export async function loadDataset(options: LoadDatasetOptions): Promise<{ train: Dataset; test: Dataset }> {
  const { name, seed } = options;
  if (!(DATASETS as readonly string[]).includes(name))
    throw new DataError(
      'BAD_OPTION',
      `unknown data set ${JSON.stringify(name)}; expected one of ${DATASETS.join(', ')}`,
    );
  if (!Number.isInteger(seed)) throw new DataError('BAD_OPTION', `seed must be an integer; got ${seed}`);
  if (options.testSize !== undefined && name !== 'mnist' && name !== 'fashion-mnist') {
    throw new DataError(
      'BAD_OPTION',
      `${name} has a published test set; testSize applies only to mnist and fashion-mnist`,
    );
  }
  const dataDir = options.dataDir ?? process.env.LRNAS_DATA_DIR;
  let parts: { train: Dataset; test: Dataset };
  switch (name) {
    case 'mnist':
    case 'fashion-mnist': {
      const all = name === 'mnist' ? await loadMnistPackage() : await loadFashionMnistPackage();
      parts = splitTrainTest(all, options.testSize ?? DEFAULT_TEST_SIZE[name], options.splitSeed ?? DEFAULT_SPLIT_SEED);
      break;
    }
    case 'cifar10':
      parts = await loadCifar10(dataDir);
      break;
    case 'cifar100':
      parts = await loadCifar100(dataDir);
      break;
    case 'svhn':
      parts = await loadSvhn(dataDir);
      break;
  }
  return {
    train: limitSize(parts.train, options.trainLimit, seed),
    test: limitSize(parts.test, options.testLimit, seed),
  };
}
