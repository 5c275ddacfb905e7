import { parseGenotype, type Genotype } from '@lrnas/schema';

/** LRNAS_C10, the genotype the paper found on CIFAR-10 (lrnas-method.md section 9): both benchmark networks use it. */
export const LRNAS_C10: Genotype = parseGenotype({
  normal: [
    ['max_pool_3x3', 1],
    ['avg_pool_3x3', 0],
    ['sep_conv_3x3', 1],
    ['skip_connect', 0],
    ['sep_conv_3x3', 2],
    ['avg_pool_3x3', 1],
    ['max_pool_3x3', 3],
    ['max_pool_3x3', 0],
  ],
  normalConcat: [2, 3, 4, 5],
  reduce: [
    ['none', 0],
    ['none', 1],
    ['sep_conv_5x5', 2],
    ['max_pool_3x3', 0],
    ['avg_pool_3x3', 2],
    ['skip_connect', 1],
    ['max_pool_3x3', 3],
    ['skip_connect', 4],
  ],
  reduceConcat: [2, 3, 4, 5],
});
