import * as tf from '@tensorflow/tfjs-core';
import { correctCount } from './losses.js';
import { clipGradNorm, type Sgd } from './optimizer.js';

/** What one optimisation step measured. */
export interface StepResult {
  /** Mean loss of the batch. */
  loss: number;
  /** Examples of the batch whose logits put the label first. */
  correct: number;
  /** Global gradient norm before clipping; null when clipping is off. */
  gradNorm: number | null;
}

/** One optimisation step of a network's named parameters. */
export interface StepSpec {
  params: ReadonlyArray<readonly [string, tf.Variable]>;
  optimizer: Sgd;
  lr: number;
  /** Clip the gradients to this global L2 norm; null: no clipping. */
  clip: number | null;
  labels: tf.Tensor1D;
  /** The loss to minimise and the logits whose accuracy is reported (run under the gradient tape). */
  forward: () => { loss: tf.Scalar; logits: tf.Tensor2D };
}

/**
 * Gradients of the loss for every parameter (by hierarchical name), clipped by global norm, applied by
 * the optimiser; frees every intermediate. Shared by the trainer and the search, so both step alike.
 */
export function optimizationStep(spec: StepSpec): StepResult {
  const nameOf = new Map(spec.params.map(([name, v]) => [v.name, name]));
  let logits: tf.Tensor2D | undefined;
  let value: tf.Scalar | undefined;
  let raw: tf.NamedTensorMap = {};
  let clipped: { grads: Map<string, tf.Tensor>; norm: tf.Scalar } | undefined;
  try {
    ({ value, grads: raw } = tf.variableGrads(
      () => {
        const out = spec.forward();
        logits = tf.keep(out.logits);
        return out.loss;
      },
      spec.params.map(([, v]) => v),
    ));
    const named = new Map<string, tf.Tensor>();
    for (const [tfName, grad] of Object.entries(raw)) {
      const name = nameOf.get(tfName);
      if (name === undefined) throw new Error(`gradient for an unknown variable ${tfName}`);
      named.set(name, grad);
    }
    clipped = spec.clip === null ? undefined : clipGradNorm(named, spec.clip);
    spec.optimizer.step(clipped?.grads ?? named, spec.lr);
    const correct = correctCount(logits as unknown as tf.Tensor2D, spec.labels);
    const [loss, count, norm] = [value.dataSync()[0]!, correct.dataSync()[0]!, clipped?.norm.dataSync()[0]];
    correct.dispose();
    return { loss, correct: count, gradNorm: norm ?? null };
  } finally {
    tf.dispose([
      ...(logits ? [logits] : []),
      ...(value ? [value] : []),
      ...Object.values(raw),
      ...(clipped ? [clipped.norm, ...clipped.grads.values()] : []),
    ]);
  }
}
