// Test helpers of the training module: a tiny genotype and small learnable image sets.
import { parseGenotype, type Genotype } from '@lrnas/schema';
import { Dataset } from '../data/dataset.js';
import { Rng } from '../random.js';

/** A small genotype touching every kind of op the tests need: separable and dilated convs, both pools, skips. */
export const TINY_GENOTYPE: Genotype = parseGenotype({
  normal: [
    ['sep_conv_3x3', 0],
    ['max_pool_3x3', 1],
    ['skip_connect', 0],
    ['avg_pool_3x3', 2],
    ['dil_conv_3x3', 1],
    ['skip_connect', 2],
    ['skip_connect', 3],
    ['max_pool_3x3', 0],
  ],
  normalConcat: [2, 3, 4, 5],
  reduce: [
    ['max_pool_3x3', 0],
    ['sep_conv_3x3', 1],
    ['skip_connect', 2],
    ['avg_pool_3x3', 1],
    ['max_pool_3x3', 0],
    ['skip_connect', 2],
    ['skip_connect', 2],
    ['max_pool_3x3', 1],
  ],
  reduceConcat: [2, 3, 4, 5],
});

/**
 * A learnable set of `size` grey images of `side` x `side`: class k lights up the k-th horizontal band,
 * plus seeded noise. Labels cycle through the classes.
 */
export function bandDataset(
  size: number,
  options: { side?: number; classes?: number; seed?: number; split?: string } = {},
): Dataset {
  const { side = 8, classes = 3, seed = 1, split = 'train' } = options;
  const rng = new Rng(seed);
  const pixels = new Uint8Array(size * side * side);
  const labels = Int32Array.from({ length: size }, (_, n) => n % classes);
  const band = Math.max(1, Math.floor(side / classes));
  for (let n = 0; n < size; n++) {
    const k = labels[n]!;
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) {
        const lit = Math.floor(r / band) === k;
        pixels[(n * side + r) * side + c] = Math.min(255, (lit ? 170 : 40) + rng.nextInt(60));
      }
    }
  }
  return new Dataset({
    name: 'bands',
    split,
    height: side,
    width: side,
    channels: 1,
    classes,
    pixels,
    labels,
    flippable: false,
  });
}
