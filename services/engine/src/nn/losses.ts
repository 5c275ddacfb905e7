import * as tf from '@tensorflow/tfjs-core';

/** Mean cross-entropy of logits `[N, K]` against int32 labels `[N]` (PyTorch's F.cross_entropy). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

/**
 * Per-example KL(p || q) between the softmax distributions of two logit batches, summed over classes:
 * sum_k p_k (log p_k - log q_k). Gradients flow through both arguments.
 */
export function klDivergencePerExample(pLogits: tf.Tensor2D, qLogits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(pLogits);
    return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, tf.logSoftmax(qLogits))), 1);
  });
}

/** KL(p || q) averaged over the batch (PyTorch's KLDivLoss summed, divided by N, as TRADES uses it). */
export function klDivergence(pLogits: tf.Tensor2D, qLogits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(klDivergencePerExample(pLogits, qLogits)));
}

/** Number of rows whose top logit is the label (ties go to the lower index). */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(logits, 1), 'int32'), labels), 'int32')));
}
