import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { deriveSeedFromParts, permutation } from '../random.js';
import { STREAMS } from './streams.js';

/**
 * Splits a training set in two seeded random halves: `train` fits the weights, `valid` scores
 * the architecture (lrnas-method.md section 2). With an odd size `train` gets the extra image.
 */
export function splitHalves(ds: Dataset, seed: number): { train: Dataset; valid: Dataset } {
  if (ds.size < 2)
    throw new DataError('BAD_OPTION', `${ds.name}/${ds.split}: ${ds.size} image(s) cannot be split in halves`);
  const order = permutation(ds.size, deriveSeedFromParts(seed, STREAMS.halves));
  const cut = Math.ceil(ds.size / 2);
  return {
    train: ds.subset(order.subarray(0, cut), `${ds.split}/weights`),
    valid: ds.subset(order.subarray(cut), `${ds.split}/valid`),
  };
}

/** Splits a set without a published split into seeded random train and test parts. */
export function splitTrainTest(ds: Dataset, testSize: number, seed: number): { train: Dataset; test: Dataset } {
  if (!Number.isInteger(testSize) || testSize <= 0 || testSize >= ds.size) {
    throw new DataError(
      'BAD_OPTION',
      `${ds.name}: the test part must hold 1..${ds.size - 1} of ${ds.size} images; got ${testSize}`,
    );
  }
  const order = permutation(ds.size, deriveSeedFromParts(seed, STREAMS.testSplit));
  const cut = ds.size - testSize;
  return { train: ds.subset(order.subarray(0, cut), 'train'), test: ds.subset(order.subarray(cut), 'test') };
}

/**
 * A seeded random subset of `limit` images, or `ds` itself when the limit is absent or not below
 * its size. Subsets of the same seed are nested: a smaller limit takes a prefix of a larger one.
 */
export function limitSize(ds: Dataset, limit: number | undefined, seed: number): Dataset {
  if (limit === undefined) return ds;
  if (!Number.isInteger(limit) || limit <= 0)
    throw new DataError('BAD_OPTION', `${ds.name}/${ds.split}: a limit must be a positive integer; got ${limit}`);
  if (limit >= ds.size) return ds;
  const order = permutation(ds.size, deriveSeedFromParts(seed, STREAMS.limit));
  return ds.subset(order.subarray(0, limit));
}
