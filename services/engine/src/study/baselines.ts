import { CONCAT, NODES, OPS, type Genotype, type GenotypePair, type OpName } from '@lrnas/schema';
import { ContractError } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import type { NetworkShape } from '../nn/plan.js';
import { Rng } from '../random.js';

/** The published cells the study scales to its budget (lrnas-method.md section 9). */
export const PUBLISHED_GENOTYPES: Record<'darts-v2' | 'lrnas-c10', Genotype> = {
  'darts-v2': {
    normal: [
      ['sep_conv_3x3', 0],
      ['sep_conv_3x3', 1],
      ['sep_conv_3x3', 0],
      ['sep_conv_3x3', 1],
      ['sep_conv_3x3', 1],
      ['skip_connect', 0],
      ['skip_connect', 0],
      ['dil_conv_3x3', 2],
    ],
    normalConcat: [...CONCAT],
    reduce: [
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
      ['skip_connect', 2],
      ['max_pool_3x3', 1],
      ['max_pool_3x3', 0],
      ['skip_connect', 2],
      ['skip_connect', 2],
      ['max_pool_3x3', 1],
    ],
    reduceConcat: [...CONCAT],
  },
  'lrnas-c10': {
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
    normalConcat: [...CONCAT],
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
    reduceConcat: [...CONCAT],
  },
};

/**
 * A plain ResNet-style network in the cell space: each node is a residual block on the node before it
 * (a 3x3 convolution plus the identity), so a cell is a chain of four of them; the reduction cell convolves
 * with stride 2 beside a factorized-reduce shortcut. The engine builds only cell networks, so this is the
 * nearest ResNet it can train with the very same stem, head and training code as the other rows.
 */
export function resnetGenotype(): Genotype {
  const chain = (): GenotypePair[] =>
    Array.from({ length: NODES }, (_, node): GenotypePair[] => [
      ['sep_conv_3x3', node + 1],
      ['skip_connect', node + 1],
    ]).flat();
  return { normal: chain(), normalConcat: [...CONCAT], reduce: chain(), reduceConcat: [...CONCAT] };
}

/**
 * The most initial channels C (even, at least 2) at which `genotype` fits `budget` at the shape's depth, with
 * its parameters. A budget below the smallest such network is an error naming that minimum.
 */
export function scaleToBudget(
  genotype: Genotype,
  shape: Omit<NetworkShape, 'channels'>,
  budget: number,
): { channels: number; params: number } {
  const at = (channels: number): number => countParameters(genotype, { ...shape, channels });
  if (at(2) > budget)
    throw new ContractError('budget', `${budget} is below this cell's smallest network (C=2): ${at(2)} parameters`);
  // Parameters grow with C, so the largest fitting even C is found by doubling, then bisection.
  let lo = 2;
  let hi = 4;
  while (at(hi) <= budget) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 2) {
    const mid = lo + 2 * Math.floor((hi - lo) / 4);
    if (at(mid) <= budget) lo = mid;
    else hi = mid;
  }
  return { channels: lo, params: at(lo) };
}

/** Random draws before giving up on finding a genotype within the budget. */
const RANDOM_TRIES = 10_000;

/**
 * A random genotype within `budget` at `shape`: every slot an op drawn uniformly from all 8 (none included,
 * as the search space has it) on an input drawn uniformly from its node's states, redrawn while over budget.
 * The same seed gives the same genotype.
 */
export function randomGenotypeWithin(shape: NetworkShape, budget: number, seed: number): Genotype {
  const rng = new Rng(seed);
  const cell = (): GenotypePair[] =>
    Array.from({ length: 2 * NODES }, (_, slot): GenotypePair => {
      const node = Math.floor(slot / 2);
      return [OPS[rng.nextInt(OPS.length)] as OpName, rng.nextInt(node + 2)];
    });
  for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
    const genotype: Genotype = { normal: cell(), normalConcat: [...CONCAT], reduce: cell(), reduceConcat: [...CONCAT] };
    if (countParameters(genotype, shape) <= budget) return genotype;
  }
  throw new ContractError('budget', `no random genotype within ${budget} parameters in ${RANDOM_TRIES} draws`);
}
