import * as tf from '@tensorflow/tfjs-core';
import { correctCount } from '../nn/losses.js';
import { gradientClip, type Sgd } from '../optim/optimizer.js';

/** What one optimisation step measured. */
export interface StepResult {
  /** Mean loss of the batch. */
  loss: number;
  /** Examples of the batch whose logits put the label first. */
  correct: number;
  /** Global gradient norm before clipping; null when clipping is off. */
  gradNorm: number | null;
}

/** Examples `start` .. `end - 1` of the batch. */
export interface BatchPart {
  start: number;
  end: number;
}

/** One optimisation step of a network's named parameters. */
export interface StepSpec {
  params: ReadonlyArray<readonly [string, tf.Variable]>;
  optimizer: Sgd;
  lr: number;
  /** Clip the gradients to this global L2 norm; null: no clipping. */
  clip: number | null;
  labels: tf.Tensor1D;
  /**
   * The mean loss to minimise and the logits whose accuracy is reported, for a part of the batch (run under the
   * gradient tape). Without `microBatch` the part is always the whole batch.
   */
  forward: (part: BatchPart) => { loss: tf.Scalar; logits: tf.Tensor2D };
  /**
   * Run forward and backward on parts of at most this many examples and sum their gradients, each weighted by its
   * share of the batch: the same mean-loss gradient with the memory of one part (BN statistics then come from each
   * part, as with one batch per device). The wasm heap ends at 4 GB; the paper's supernet needs 3 GB at batch 64.
   */
  microBatch?: number | null;
}

/**
 * Gradients of the loss for every parameter (by hierarchical name), clipped by global norm, applied by
 * the optimiser; frees every intermediate. Shared by the trainer and the search, so both step alike.
 */
export async function optimizationStep(spec: StepSpec): Promise<StepResult> {
  const n = spec.labels.shape[0];
  const size = spec.microBatch ?? n;
  if (!(Number.isSafeInteger(size) && size > 0))
    throw new RangeError(`microBatch must be a positive integer, got ${String(spec.microBatch)}`);
  const nameOf = new Map(spec.params.map(([name, v]) => [v.name, name]));
  const summed = new Map<string, tf.Tensor>();
  let loss = 0;
  let correct = 0;
  try {
    for (let start = 0; start < n; start += size) {
      const part = { start, end: Math.min(n, start + size) };
      const share = (part.end - part.start) / n;
      const figures = await partGradients(spec, part, share, nameOf, summed);
      loss += figures.loss * share;
      correct += figures.correct;
    }
    const clip = spec.clip === null ? undefined : await gradientClip(summed, spec.clip);
    spec.optimizer.step(summed, spec.lr, clip?.factor ?? 1);
    return { loss, correct, gradNorm: clip ? clip.norm : null };
  } finally {
    tf.dispose([...summed.values()]);
  }
}

/**
 * Adds `share` times the gradients of one part's mean loss to `summed`; returns the part's loss and hits, read
 * asynchronously (a synchronous read cannot be done on webgpu in Node, and would stall a GPU's queue).
 */
async function partGradients(
  spec: StepSpec,
  part: BatchPart,
  share: number,
  nameOf: ReadonlyMap<string, string>,
  summed: Map<string, tf.Tensor>,
): Promise<{ loss: number; correct: number }> {
  const whole = part.start === 0 && part.end === spec.labels.shape[0];
  let logits: tf.Tensor2D | undefined;
  let value: tf.Scalar | undefined;
  let raw: tf.NamedTensorMap = {};
  try {
    ({ value, grads: raw } = tf.variableGrads(
      () => {
        const out = spec.forward(part);
        logits = tf.keep(out.logits);
        return whole ? out.loss : tf.mul(out.loss, share);
      },
      spec.params.map(([, v]) => v),
    ));
    for (const [tfName, grad] of Object.entries(raw)) {
      const name = nameOf.get(tfName);
      if (name === undefined) throw new Error(`gradient for an unknown variable ${tfName}`);
      const previous = summed.get(name);
      // The first part's gradient is kept as it is (and left out of the disposal below).
      summed.set(name, previous ? tf.add(previous, grad) : grad);
      if (previous) previous.dispose();
      else delete raw[tfName];
    }
    const labels = whole ? spec.labels : tf.slice(spec.labels, part.start, part.end - part.start);
    const hits = correctCount(logits as unknown as tf.Tensor2D, labels);
    tf.dispose(labels === spec.labels ? [] : [labels]);
    const [lossValue, hitValue] = await Promise.all([value.data(), hits.data()]);
    hits.dispose();
    return { loss: (lossValue[0] as number) / (whole ? 1 : share), correct: hitValue[0] as number };
  } finally {
    tf.dispose([...(logits ? [logits] : []), ...(value ? [value] : []), ...Object.values(raw)]);
  }
}
