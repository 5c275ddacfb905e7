import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { ensureGradients, fgsm, pgd, projectLinf, type Classifier } from '../attacks/index.js';
import type { ForwardContext } from '../nn/module.js';
import type { EvalNetwork } from '../nn/network.js';
import { Rng } from '../random.js';
import { crossEntropy, klDivergence } from '../nn/losses.js';

/** Training objectives of lrnas-method.md section 7. */
export const TRAIN_METHODS = ['standard', 'madry', 'trades', 'fgsm-rs'] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];

/** What an objective needs besides the network and the batch. */
export interface ObjectiveSettings {
  method: TrainMethod;
  /** L-inf radius of the training adversary (pixels in [0, 1]). */
  epsilon: number;
  /** Steps of the PGD (madry) or KL (trades) adversary. */
  attackSteps: number;
  /** Step size of the PGD and KL adversaries; fgsm-rs always steps 1.25 * epsilon. */
  attackStepSize: number;
  /** TRADES's beta: weight of the KL term. */
  tradesBeta: number;
  /** Weight of the auxiliary head's cross-entropy; 0 ignores the head. */
  auxiliaryWeight: number;
}

/** Wong et al. (2020)'s step of fast FGSM training with a random start, in units of epsilon. */
export const FGSM_RS_STEP = 1.25;
/** Standard deviation of TRADES's starting noise around the clean input. */
export const TRADES_START_STD = 0.001;

/** The network as the attacks see it: inference mode (BN running statistics, no drop-path). */
export function inferenceClassifier(net: EvalNetwork): Classifier {
  return (x) => net.forward(x, { training: false }).logits;
}

/**
 * Crafts the inputs an adversarial objective trains on (none for `standard`), outside any gradient
 * tape and from `seed` alone. BN is in inference mode while crafting, as in the released LRNAS code
 * (`model.eval()` in its madry_loss and trades_loss) and TRADES's: the adversary then sees each example
 * on its own and crafting moves no running statistics. Madry: PGD-k with a uniform random start (the
 * released code starts from 0.001 N(0,1) noise instead); TRADES: signed ascent of KL(p(x) || p(x'))
 * from x + 0.001 N(0,1); fgsm-rs: one step of 1.25 epsilon from a uniform start. The caller disposes
 * the result.
 */
export async function craftAdversarial(
  net: EvalNetwork,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  settings: ObjectiveSettings,
  seed: number,
): Promise<tf.Tensor4D | undefined> {
  const model = inferenceClassifier(net);
  const { epsilon, attackSteps: steps, attackStepSize: stepSize } = settings;
  switch (settings.method) {
    case 'standard':
      return undefined;
    case 'madry':
      return pgd(model, x, y, { epsilon, steps, stepSize, randomStart: true, seed });
    case 'fgsm-rs':
      return fgsm(model, x, y, { epsilon, stepSize: FGSM_RS_STEP * epsilon, randomStart: true, seed });
    case 'trades':
      return tradesAdversary(model, x, { epsilon, steps, stepSize, seed });
    default:
      throw new ContractError('method', `must be one of ${TRAIN_METHODS.join(', ')}, got ${String(settings.method)}`);
  }
}

/** TRADES's inner maximisation: signed ascent on KL(p(x) || p(x')) within the epsilon-ball and [0, 1]. */
export function tradesAdversary(
  model: Classifier,
  x: tf.Tensor4D,
  options: { epsilon: number; steps: number; stepSize: number; seed: number },
): tf.Tensor4D {
  ensureGradients();
  const cleanLogits = tf.tidy(() => model(x));
  const noise = gaussianNoise(x.size, TRADES_START_STD, options.seed);
  let point = tf.tidy(() => tf.add(x, tf.tensor(noise, x.shape)) as tf.Tensor4D);
  try {
    for (let t = 0; t < options.steps; t++) {
      const current = point;
      const next = tf.tidy(() => {
        const grad = tf.grad((z) => klDivergence(cleanLogits, model(z as tf.Tensor4D)))(current);
        return projectLinf(tf.add(current, tf.mul(tf.sign(grad), options.stepSize)), x, options.epsilon);
      });
      current.dispose();
      point = next;
    }
    const inside = projectLinf(point, x, options.epsilon);
    point.dispose();
    return inside;
  } catch (error) {
    point.dispose();
    throw error;
  } finally {
    cleanLogits.dispose();
  }
}

/** `count` seeded N(0, std^2) values (Box-Muller on the engine's Rng). */
export function gaussianNoise(count: number, std: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = std * Math.sqrt(-2 * Math.log(1 - rng.nextFloat()));
    const angle = 2 * Math.PI * rng.nextFloat();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** The loss of one step and the logits whose accuracy the step reports. */
export interface ObjectiveOutput {
  loss: tf.Scalar;
  /** standard and trades: logits of the clean batch; madry and fgsm-rs: of the adversarial batch. */
  logits: tf.Tensor2D;
}

/**
 * The training loss on a batch, in training mode (call it inside the gradient tape): cross-entropy on
 * the clean batch (standard) or on `adversarial` (madry, fgsm-rs), or TRADES's
 * CE(f(x), y) + beta * KL(p(x) || p(x_adv)) with both passes in training mode; plus
 * `auxiliaryWeight` times the auxiliary head's cross-entropy on the pass the main loss trains on
 * (the clean one for TRADES).
 */
export function objectiveLoss(
  net: EvalNetwork,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  adversarial: tf.Tensor4D | undefined,
  settings: ObjectiveSettings,
  ctx: ForwardContext,
): ObjectiveOutput {
  const needsAdversarial = settings.method !== 'standard';
  if (needsAdversarial !== (adversarial !== undefined)) {
    throw new ContractError(
      'adversarial',
      `method ${settings.method} ${needsAdversarial ? 'needs' : 'takes no'} adversarial inputs`,
    );
  }
  const withAux = (out: { logits: tf.Tensor2D; auxLogits?: tf.Tensor2D }, main: tf.Scalar): tf.Scalar =>
    out.auxLogits && settings.auxiliaryWeight > 0
      ? tf.add(main, tf.mul(crossEntropy(out.auxLogits, y), settings.auxiliaryWeight))
      : main;
  if (settings.method === 'trades') {
    const clean = net.forward(x, ctx);
    const adv = net.forward(adversarial as tf.Tensor4D, ctx);
    const main = tf.add(
      crossEntropy(clean.logits, y),
      tf.mul(klDivergence(clean.logits, adv.logits), settings.tradesBeta),
    );
    return { loss: withAux(clean, main as tf.Scalar), logits: clean.logits };
  }
  const out = net.forward(adversarial ?? x, ctx);
  return { loss: withAux(out, crossEntropy(out.logits, y)), logits: out.logits };
}
