import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { lossAndGradient, lossOnly, misclassified, preflight } from './gradient.js';
import { randomLinfStart, signStep } from './linf.js';
import { crossEntropyLoss, dlrLoss, marginLoss, type AttackLoss } from './losses.js';
import { Rng } from '../random.js';
import {
  checkBatch,
  checkCount,
  checkEpsilon,
  checkPositive,
  checkSeed,
  type AttackResult,
  type Classifier,
} from './types.js';
import { takeRows, WorstCaseTracker } from './worst-case.js';

/** Losses the gradient attacks can ascend: cross-entropy, CW margin (capped at kappa), DLR. */
export type LossName = 'ce' | 'margin' | 'dlr';

/** Settings of PGD. */
export interface PgdOptions {
  epsilon: number;
  /** Gradient steps per restart (default 20). */
  steps?: number;
  /** Step size (default epsilon / 4, i.e. 2/255 at epsilon 8/255). */
  stepSize?: number;
  /** Runs from independent random starts; later ones attack only the examples not yet fooled (default 1). */
  restarts?: number;
  /** Start uniformly in the epsilon-ball (default true). */
  randomStart?: boolean;
  /** Seed of the random starts (default 0). */
  seed?: number;
  /** Loss to ascend (default 'ce'). */
  loss?: LossName;
  /** Cap of the margin loss (default 0). */
  kappa?: number;
  /**
   * Track per example the worst case over all iterates and restarts (first fooling point, else highest
   * loss) and return it with per-example success. Tracking is also on whenever restarts > 1; without
   * it PGD returns the last iterate (Madry et al.), which is what adversarial training wants.
   */
  returnSuccess?: boolean;
}

/** The loss function for a loss name. */
export function attackLoss(name: LossName, kappa = 0): AttackLoss {
  switch (name) {
    case 'ce':
      return crossEntropyLoss;
    case 'margin':
      return marginLoss(kappa);
    case 'dlr':
      return dlrLoss;
    default:
      throw new ContractError('loss', `must be 'ce', 'margin' or 'dlr', got ${JSON.stringify(name)}`);
  }
}

/** Projected gradient descent (L-inf, signed steps) with random start and restarts; see PgdOptions. */
export function pgd(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: PgdOptions & { returnSuccess: true },
): Promise<AttackResult>;
/** Projected gradient descent returning only the adversarial batch. */
export function pgd(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D, options: PgdOptions): Promise<tf.Tensor4D>;
export async function pgd(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: PgdOptions,
): Promise<tf.Tensor4D | AttackResult> {
  const { epsilon, steps = 20, restarts = 1, randomStart = true, seed = 0, kappa = 0, returnSuccess = false } = options;
  const stepSize = options.stepSize ?? epsilon / 4;
  await checkBatch(x, y);
  checkEpsilon(epsilon);
  checkCount(steps, 'steps');
  checkCount(restarts, 'restarts');
  checkPositive(stepSize, 'stepSize');
  checkSeed(seed);
  const loss = attackLoss(options.loss ?? 'ce', kappa);
  await preflight(model, loss, x, y);
  const rng = new Rng(seed);
  const settings = { model, loss, epsilon, steps, stepSize, randomStart, rng };

  if (!returnSuccess && restarts === 1) return lastIterate(settings, x, y);

  const tracker = new WorstCaseTracker(x);
  try {
    for (let r = 0; r < restarts; r++) {
      const rows = tracker.remaining();
      if (rows.length === 0) break;
      await trackedRun(settings, x, y, rows, tracker);
    }
  } catch (error) {
    tracker.dispose();
    throw error;
  }
  const result = tracker.finish();
  return returnSuccess ? result : result.adversarial;
}

interface RunSettings {
  model: Classifier;
  loss: AttackLoss;
  epsilon: number;
  steps: number;
  stepSize: number;
  randomStart: boolean;
  rng: Rng;
}

/** Plain PGD: the last iterate, no per-step synchronisation. */
function lastIterate(s: RunSettings, x: tf.Tensor4D, y: tf.Tensor1D): tf.Tensor4D {
  let point = s.randomStart ? randomLinfStart(x, s.epsilon, s.rng) : tf.clone(x);
  try {
    for (let t = 0; t < s.steps; t++) {
      const { logits, loss, grad } = lossAndGradient(s.model, s.loss, point, y);
      try {
        const next = signStep(point, grad, s.stepSize, x, s.epsilon);
        point.dispose();
        point = next;
      } finally {
        tf.dispose([logits, loss, grad]);
      }
    }
    return point;
  } catch (error) {
    point.dispose();
    throw error;
  }
}

/** One restart on batch rows `rows`, offering every iterate (and the final point) to the tracker. */
async function trackedRun(
  s: RunSettings,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  rows: number[],
  tracker: WorstCaseTracker,
): Promise<void> {
  const xs = takeRows(x, rows);
  const ys = takeRows(y, rows);
  let point = s.randomStart ? randomLinfStart(xs, s.epsilon, s.rng) : tf.clone(xs);
  try {
    for (let t = 0; t < s.steps; t++) {
      const { logits, loss, grad } = lossAndGradient(s.model, s.loss, point, ys);
      try {
        const [values, fooled] = await Promise.all([loss.data(), misclassified(logits, ys)]);
        tracker.offer(point, values, fooled, rows);
        const next = signStep(point, grad, s.stepSize, xs, s.epsilon);
        point.dispose();
        point = next;
      } finally {
        tf.dispose([logits, loss, grad]);
      }
    }
    const last = lossOnly(s.model, s.loss, point, ys);
    try {
      const [values, fooled] = await Promise.all([last.loss.data(), misclassified(last.logits, ys)]);
      tracker.offer(point, values, fooled, rows);
    } finally {
      tf.dispose([last.logits, last.loss]);
    }
  } finally {
    tf.dispose([xs, ys, point]);
  }
}
