import type * as tf from '@tensorflow/tfjs-core';
import { apgd, type ApgdOptions } from './apgd.js';
import { deriveSeedFromParts } from '../random.js';
import { overTargetClasses } from './targeted.js';
import { checkBatch, checkSeed, type AttackResult, type Classifier } from './types.js';

/** Settings of APGD-T. */
export interface ApgdTargetedOptions extends Omit<ApgdOptions, 'loss' | 'targets'> {
  /** Target classes tried, most likely first (default 9, AutoAttack's standard suite). */
  targetClasses?: number;
}

/**
 * APGD-T (Croce & Hein 2020, as AutoAttack's standard suite runs it): APGD on the targeted DLR loss, once per
 * target class (the runner-up class first), each round only on the examples still classified correctly.
 * Needs at least 4 classes. Returns per example the first fooling point, else the input.
 */
export async function apgdTargeted(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: ApgdTargetedOptions,
): Promise<AttackResult> {
  const { targetClasses = 9, seed = 0, ...rest } = options;
  await checkBatch(x, y);
  checkSeed(seed);
  return overTargetClasses(model, x, y, targetClasses, (xs, ys, targets, round) =>
    apgd(model, xs, ys, {
      ...rest,
      loss: 'dlr-targeted',
      targets,
      // A seed per target class, so that a round's random start does not depend on which rows are left.
      seed: deriveSeedFromParts(seed, round) & 0x7fffffff,
    }),
  );
}
