import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';

/** A per-example loss on logits that an attack maximises. */
export type AttackLoss = (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Tensor1D;

/** Per-example softmax cross-entropy: logsumexp(z) - z_y. */
export function crossEntropyLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.logSumExp(logits, 1), trueLogit(logits, labels)) as tf.Tensor1D);
}

/**
 * Carlini-Wagner margin, capped at `kappa`: min(max_{i != y} z_i - z_y, kappa). Positive means
 * misclassified; the cap stops pushing once an example is misclassified by kappa.
 */
export function marginLoss(kappa = 0): AttackLoss {
  if (!(kappa >= 0)) throw new ContractError('kappa', `must be >= 0 (Infinity for no cap), got ${kappa}`);
  return (logits, labels) =>
    tf.tidy(() => {
      const margin: tf.Tensor1D = tf.sub(maxOtherLogit(logits, labels), trueLogit(logits, labels));
      return kappa === Infinity ? margin : (tf.minimum(margin, kappa) as tf.Tensor1D);
    });
}

/**
 * Difference-of-logits-ratio loss of Croce & Hein (2020): -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12),
 * pi sorting the logits decreasingly. Invariant to shifting and scaling the logits; needs >= 3 classes.
 */
export function dlrLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  const classes = logits.shape[1];
  if (classes < 3) throw new ContractError('classifier', `the DLR loss needs at least 3 classes, got ${classes}`);
  return tf.tidy(() => {
    const numerator = tf.sub(trueLogit(logits, labels), maxOtherLogit(logits, labels));
    // The third largest logit, found by masking out the two largest (values stay differentiable).
    const first = tf.max(logits, 1);
    const withoutFirst = maskOut(logits, tf.argMax(logits, 1));
    const withoutTwo = maskOut(withoutFirst, tf.argMax(withoutFirst, 1));
    const third = tf.max(withoutTwo, 1);
    return tf.neg(tf.div(numerator, tf.add(tf.sub(first, third), 1e-12))) as tf.Tensor1D;
  });
}

/**
 * Targeted DLR loss of Croce & Hein (2020), which APGD-T maximises: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12),
 * t the target class of each row, pi sorting the logits decreasingly. Rising means the target closes in on the
 * true class; invariant to shifting and scaling the logits; needs >= 4 classes (a third and a fourth logit).
 */
export function targetedDlrLoss(targets: tf.Tensor1D): AttackLoss {
  return (logits, labels) => {
    const classes = logits.shape[1];
    if (classes < 4)
      throw new ContractError('classifier', `the targeted DLR loss needs at least 4 classes, got ${classes}`);
    if (targets.shape[0] !== labels.shape[0])
      throw new ContractError('targets', `has ${targets.shape[0]} target classes for ${labels.shape[0]} labels`);
    return tf.tidy(() => {
      const numerator = tf.sub(trueLogit(logits, labels), trueLogit(logits, targets));
      const [first, , third, fourth] = topLogits(logits, 4);
      const scale = tf.add(tf.sub(first!, tf.mul(tf.add(third!, fourth!), 0.5)), 1e-12);
      return tf.neg(tf.div(numerator, scale)) as tf.Tensor1D;
    });
  };
}

/** The `count` largest logits of each row, largest first (found by masking, so values stay differentiable). */
function topLogits(logits: tf.Tensor2D, count: number): tf.Tensor1D[] {
  const out: tf.Tensor1D[] = [];
  let rest = logits;
  for (let k = 0; k < count; k++) {
    out.push(tf.max(rest, 1));
    if (k < count - 1) rest = maskOut(rest, tf.argMax(rest, 1));
  }
  return out;
}

/** z_y for each row. */
export function trueLogit(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(logits, tf.oneHot(labels, logits.shape[1])), 1));
}

/** max_{i != y} z_i for each row. */
export function maxOtherLogit(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.max(maskOut(logits, labels), 1));
}

/** Replaces the entry at `index` of each row by -Infinity. */
function maskOut(logits: tf.Tensor2D, index: tf.Tensor1D): tf.Tensor2D {
  const mask = tf.cast(tf.oneHot(tf.cast(index, 'int32'), logits.shape[1]), 'bool');
  return tf.where(mask, -Infinity, logits);
}
