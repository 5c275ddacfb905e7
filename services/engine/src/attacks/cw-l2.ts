import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { ensureGradients, misclassified, misclassifiedBy } from './gradient.js';
import { takeScalar } from '../read.js';
import { checkBatch, checkCount, checkLogits, checkPositive, type AttackResult, type Classifier } from './types.js';

/** Settings of the L2 Carlini-Wagner attack. */
export interface CwL2Options {
  /** Weight of the misclassification term against the squared L2 distance (default 0.5, the released LRNAS code's). */
  c?: number;
  /** Confidence: the margin term stops pushing once the true logit trails another by kappa (default 0). */
  kappa?: number;
  /** Adam steps (default 100). */
  steps?: number;
  /** Adam's learning rate (default 0.01). */
  learningRate?: number;
}

/** Adam's moment decays and epsilon (PyTorch's defaults, which torchattacks uses). */
const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;
/** atanh(+-1) is infinite: pixels at exactly 0 or 1 start a hair inside the box (about 5e-7 away). */
const TANH_LIMIT = 1 - 1e-6;

/**
 * L2 Carlini-Wagner (Carlini & Wagner 2017) in the form of torchattacks' `CW`, which the released LRNAS code
 * evaluates with: optimise w, the image being (tanh(w) + 1) / 2 (always inside [0, 1]), by Adam on
 * ||x' - x||^2 + c * max(z_y - max_{i != y} z_i, -kappa), a single c and no binary search; keep per example
 * the fooling point of smallest L2 distance; stop early when the total cost, checked every tenth of the steps,
 * has risen. Unbounded: nothing keeps the result within an epsilon-ball. Examples never fooled come back
 * unchanged. (torchattacks takes the largest other logit with the true one zeroed rather than excluded; this
 * takes the true maximum over the other classes, which differs only when every other logit is negative.)
 */
export async function cwL2(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: CwL2Options = {},
): Promise<AttackResult> {
  const { c = 0.5, kappa = 0, steps = 100, learningRate = 0.01 } = options;
  await checkBatch(x, y);
  checkPositive(c, 'c');
  checkCount(steps, 'steps');
  checkPositive(learningRate, 'learningRate');
  if (!(kappa >= 0 && Number.isFinite(kappa))) throw new ContractError('kappa', `must be a number >= 0, got ${kappa}`);
  ensureGradients();
  const n = x.shape[0];
  if (n === 0) return { adversarial: tf.clone(x), success: [] };
  const [firstLogits, firstLabel] = tf.tidy(() => [model(tf.slice(x, 0, 1)), tf.slice(y, 0, 1)] as const);
  try {
    await checkLogits(firstLogits, firstLabel);
  } finally {
    tf.dispose([firstLogits, firstLabel]);
  }

  const toImage = (w: tf.Tensor4D): tf.Tensor4D => tf.mul(tf.add(tf.tanh(w), 1), 0.5);
  const perExampleL2 = (image: tf.Tensor4D): tf.Tensor1D => tf.sum(tf.square(tf.sub(image, x)), [1, 2, 3]);
  const margin = (logits: tf.Tensor2D): tf.Tensor1D =>
    tf.tidy(() => {
      const oneHot = tf.cast(tf.oneHot(y, logits.shape[1]), 'bool');
      const real = tf.max(tf.where(oneHot, logits, -Infinity), 1);
      const other = tf.max(tf.where(oneHot, -Infinity, logits), 1);
      return tf.maximum(tf.sub(real, other), -kappa) as tf.Tensor1D;
    });

  // atanh in plain JS: not every backend has the kernel, and it runs once.
  const start = Float32Array.from(await x.data(), (pixel) => {
    const u = Math.min(TANH_LIMIT, Math.max(-TANH_LIMIT, 2 * pixel - 1));
    return 0.5 * Math.log((1 + u) / (1 - u));
  });
  let w = tf.tensor4d(start, x.shape);
  let m = tf.zerosLike(w);
  let v = tf.zerosLike(w);
  let best = tf.clone(x);
  const bestL2 = new Float64Array(n).fill(Infinity);
  const checkEvery = Math.max(Math.floor(steps / 10), 1);
  let previousCost = Infinity;
  try {
    for (let step = 0; step < steps; step++) {
      let image: tf.Tensor4D | undefined;
      let logits: tf.Tensor2D | undefined;
      let l2: tf.Tensor1D | undefined;
      const { value, grad } = tf.valueAndGrad((input: tf.Tensor4D) => {
        const adv = toImage(input);
        const z = model(adv);
        const distance = perExampleL2(adv);
        // Kept so that the step's bookkeeping reads the point the cost was measured at.
        image = tf.keep(adv);
        logits = tf.keep(z);
        l2 = tf.keep(distance);
        return tf.add(tf.sum(distance), tf.mul(tf.sum(margin(z)), c)) as tf.Scalar;
      })(w);
      // Adam (bias-corrected), as PyTorch's optimiser on w.
      const t = step + 1;
      const [nextW, nextM, nextV] = tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, BETA1), tf.mul(grad, 1 - BETA1));
        const v1 = tf.add(tf.mul(v, BETA2), tf.mul(tf.square(grad), 1 - BETA2));
        const mHat = tf.div(m1, 1 - BETA1 ** t);
        const vHat = tf.div(v1, 1 - BETA2 ** t);
        const w1 = tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), ADAM_EPSILON)), learningRate));
        return [w1, m1, v1] as tf.Tensor4D[];
      });
      tf.dispose([w, m, v, grad]);
      w = nextW!;
      m = nextM!;
      v = nextV!;

      const [cost, fooled, distances] = await Promise.all([takeScalar(value), misclassified(logits!, y), l2!.data()]);
      const closer = fooled.flatMap((f, i) => (f && (distances[i] as number) < (bestL2[i] as number) ? [i] : []));
      for (const i of closer) bestL2[i] = distances[i] as number;
      if (closer.length > 0) {
        const mask = new Uint8Array(n);
        for (const i of closer) mask[i] = 1;
        const next = tf.tidy(() => tf.where(tf.tensor4d(mask, [n, 1, 1, 1], 'bool'), image!, best));
        best.dispose();
        best = next;
      }
      tf.dispose([image!, logits!, l2!]);
      // torchattacks' early stop: the summed cost has risen since the last check.
      if (step % checkEvery === 0) {
        if (cost > previousCost) break;
        previousCost = cost;
      }
    }
    return { adversarial: best, success: await misclassifiedBy(model, best, y) };
  } catch (error) {
    best.dispose();
    throw error;
  } finally {
    tf.dispose([w, m, v]);
  }
}
