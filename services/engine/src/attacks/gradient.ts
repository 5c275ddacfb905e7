import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { registerMissingKernels } from '../kernels/index.js';
import { takeData } from '../read.js';
import type { AttackLoss } from './losses.js';
import { checkLabels, type Classifier } from './types.js';

let readyBackend: string | undefined;

/**
 * Makes gradients available on the active backend: tfjs-core registers none by itself in Node, and the
 * engine's kernels module supplies them (plus the backprop kernels wasm lacks). Idempotent and cheap.
 */
export function ensureGradients(): void {
  const backend = tf.getBackend();
  if (backend === readyBackend) return;
  registerMissingKernels(backend);
  readyBackend = backend;
}

/** Logits, per-example loss and its input gradient at one point. */
export interface LossAndGradient {
  logits: tf.Tensor2D;
  loss: tf.Tensor1D;
  grad: tf.Tensor4D;
}

/**
 * Evaluates the model once at `x` and returns the logits, the per-example loss and d(sum loss)/dx
 * (which is each example's own gradient, examples being independent in inference mode).
 * The caller owns and disposes the three tensors.
 */
export function lossAndGradient(model: Classifier, loss: AttackLoss, x: tf.Tensor4D, y: tf.Tensor1D): LossAndGradient {
  ensureGradients();
  let logits: tf.Tensor2D | undefined;
  try {
    const { value, grad } = tf.valueAndGrad((input: tf.Tensor4D) => {
      const z = model(input);
      // Kept so that it survives the forward pass's tidy; the caller disposes it.
      logits = tf.keep(z);
      return loss(z, y);
    })(x);
    if (logits === undefined) throw new Error('the classifier was not called');
    return { logits, loss: value as tf.Tensor1D, grad: grad as tf.Tensor4D };
  } catch (error) {
    logits?.dispose();
    throw error;
  }
}

/**
 * Runs the model and the loss once on the first example, outside any gradient tape, so that a bad
 * classifier output, label or loss fails here with a clear error (an error thrown while recording a
 * gradient would strand the tensors the tape saved).
 */
export async function preflight(model: Classifier, loss: AttackLoss, x: tf.Tensor4D, y: tf.Tensor1D): Promise<void> {
  if (x.shape[0] === 0) return;
  const logits = tf.tidy(() => model(tf.slice(x, 0, 1)));
  try {
    if (logits.rank !== 2 || logits.shape[0] !== 1) {
      throw new ContractError(
        'classifier',
        `must return logits [batch, classes]; for a batch of 1 it returned [${logits.shape.join(', ')}]`,
      );
    }
    await checkLabels(logits.shape[1], y);
    tf.tidy(() => {
      loss(logits, tf.slice(y, 0, 1));
    });
  } finally {
    logits.dispose();
  }
}

/** Per-example loss and logits at `x` without a gradient. The caller disposes both. */
export function lossOnly(
  model: Classifier,
  loss: AttackLoss,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
): { logits: tf.Tensor2D; loss: tf.Tensor1D } {
  return tf.tidy(() => {
    const logits = model(x);
    return { logits, loss: loss(logits, y) };
  });
}

/** Per example, whether the logits' top class differs from the label (ties go to the lower index). */
export async function misclassified(logits: tf.Tensor2D, y: tf.Tensor1D): Promise<boolean[]> {
  const wrong = await takeData(tf.tidy(() => tf.notEqual(tf.cast(tf.argMax(logits, 1), 'int32'), y)));
  return Array.from(wrong, (v) => v !== 0);
}

/** Runs the model on `x` and reports which examples it misclassifies. */
export async function misclassifiedBy(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): Promise<boolean[]> {
  const logits = tf.tidy(() => model(x));
  try {
    return await misclassified(logits, y);
  } finally {
    logits.dispose();
  }
}
