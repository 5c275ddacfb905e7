import * as tf from '@tensorflow/tfjs-core';
import type * as TrainModule from '../src/train/index.js';
import type * as OptimModule from '../src/optim/optimizer.js';
import type { EvalNetwork } from '../src/nn/network.js';

/**
 * The engine's training module (src/train) with its optimiser (in the public API, src/index.ts, of
 * every checkout; gradientClip only of recent ones), loaded from the same checkout as the engine under test.
 */
export type Train = typeof TrainModule &
  Pick<typeof OptimModule, 'Sgd' | 'clipGradNorm'> &
  Partial<Pick<typeof OptimModule, 'gradientClip'>>;

/** The paper's retraining settings (lrnas-method.md section 7, src/train/settings.ts defaults). */
export const SGD = { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, gradientClip: 5 } as const;

/**
 * Clips `grads` by global norm and applies `sgd`, as the trainer does: gradientClip's factor as Sgd.step's
 * gradScale, or on an engine from before them (--compare) clipGradNorm's scaled copies. Disposes nothing of `grads`.
 * Awaits each (an engine from before the asynchronous reads returns them directly, which await passes through).
 */
export async function clippedStep(
  train: Pick<Train, 'clipGradNorm' | 'gradientClip'>,
  sgd: OptimModule.Sgd,
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
  lr: number,
): Promise<void> {
  if (typeof train.gradientClip === 'function') {
    sgd.step(grads, lr, (await train.gradientClip(grads, maxNorm)).factor);
    return;
  }
  const clipped = await train.clipGradNorm(grads, maxNorm);
  sgd.step(clipped.grads, lr);
  tf.dispose([clipped.norm, ...clipped.grads.values()]);
}

/**
 * One optimisation step of the trainer, composed from src/train's exported parts exactly as Trainer's private
 * step does: craftAdversarial (nothing for 'standard', PGD for 'madry', network in inference mode), the
 * objective's loss under tf.variableGrads (training mode), clipping by global norm and Sgd with momentum and weight
 * decay (clippedStep).
 * (Trainer#step itself is private; if src/train exports it, the benchmark should call it instead.)
 */
export class TrainerStep {
  readonly #sgd: OptimModule.Sgd;
  readonly #variables: tf.Variable[];
  readonly #names: Map<string, string>;
  readonly #settings: TrainModule.ObjectiveSettings;

  constructor(
    readonly train: Train,
    readonly net: EvalNetwork,
    method: 'standard' | 'madry',
    epsilon: number,
    attackSteps: number,
  ) {
    const named = net.namedParameters();
    this.#variables = named.map(([, v]) => v);
    this.#names = new Map(named.map(([name, v]) => [v.name, name]));
    this.#sgd = new train.Sgd(named, { momentum: SGD.momentum, weightDecay: SGD.weightDecay });
    this.#settings = {
      method,
      epsilon,
      attackSteps,
      attackStepSize: train.defaultAttackStepSize(epsilon, attackSteps),
      tradesBeta: 6,
      auxiliaryWeight: 0,
    };
  }

  /** One step on a batch (attack included); returns the loss, read back (asynchronously) so the step has finished. */
  async run(x: tf.Tensor4D, y: tf.Tensor1D, seed: number): Promise<number> {
    const adversarial = await this.train.craftAdversarial(this.net, x, y, this.#settings, seed);
    let value: tf.Scalar | undefined;
    let raw: tf.NamedTensorMap = {};
    try {
      ({ value, grads: raw } = tf.variableGrads(
        () => this.train.objectiveLoss(this.net, x, y, adversarial, this.#settings, { training: true }).loss,
        this.#variables,
      ));
      const named = new Map(Object.entries(raw).map(([tfName, g]) => [this.#names.get(tfName) ?? tfName, g]));
      await clippedStep(this.train, this.#sgd, named, SGD.gradientClip, SGD.learningRate);
      return (await value.data())[0] ?? NaN;
    } finally {
      tf.dispose([...(adversarial ? [adversarial] : []), ...(value ? [value] : []), ...Object.values(raw)]);
    }
  }

  dispose(): void {
    this.#sgd.dispose();
  }
}
