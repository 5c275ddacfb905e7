import * as tf from '@tensorflow/tfjs-core';
import type * as EngineModule from '../src/index.js';
import type { Genotype } from '@lrnas/schema';
import { NETWORKS, type BenchConfig } from './configs.js';
import { isSupernetWorkload, prepareSupernetWorkload } from './supernet.js';
import { TrainerStep, type Train } from './train-step.js';

/** The engine under test: the working tree's src, or another checkout's (--compare). */
export type Engine = typeof EngineModule;

/** A configuration ready to run: one call of `iteration` processes `batch` images. */
export interface PreparedWorkload {
  iteration: () => void | Promise<void>;
  /** Facts about the last iteration worth reporting (e.g. Square's queries per image). */
  details: () => Record<string, number>;
  dispose: () => void;
  /** Trainable parameters of the network (the reference checks it built the same one). */
  parameters: number;
}

/** Number of trainable values of a module (BN running statistics and architecture weights are not parameters). */
export function parameterCount(net: { namedParameters(): Array<[string, { size: number }]> }): number {
  return net.namedParameters().reduce((sum, [, v]) => sum + v.size, 0);
}

const CLASSES = 10;
const SEED = 20261126;

/** Seeded images in [0, 1] and labels 0..9 (a fixed cycle). */
function syntheticBatch(engine: Engine, batch: number, size: number, channels: number): [tf.Tensor4D, tf.Tensor1D] {
  const values = new engine.Rng(SEED).fillUniform(new Float32Array(batch * size * size * channels), 0, 1);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % CLASSES);
  return [tf.tensor4d(values, [batch, size, size, channels]), tf.tensor1d(labels, 'int32')];
}

/** Builds the network, data and per-iteration work of `config` on the active backend. */
export function prepareWorkload(
  engine: Engine,
  train: Train,
  genotype: Genotype,
  config: BenchConfig,
): PreparedWorkload {
  if (isSupernetWorkload(config.workload)) return prepareSupernetWorkload(engine, config);
  const shape = NETWORKS[config.network];
  const net = new engine.EvalNetwork(genotype, {
    channels: shape.channels,
    layers: shape.layers,
    classes: CLASSES,
    inputChannels: shape.inputChannels,
    seed: SEED,
  });
  const [x, cycleLabels] = syntheticBatch(engine, config.batch, shape.imageSize, shape.inputChannels);
  const model = (input: tf.Tensor4D): tf.Tensor2D => net.forward(input, { training: false }).logits;
  const epsilon = shape.epsilon;
  const owned: tf.Tensor[] = [x, cycleLabels];
  let details: Record<string, number> = {};
  let iteration: () => Promise<void>;
  let cleanup = (): void => {};
  let round = 0;
  const w = config.workload;
  switch (w.kind) {
    case 'train-clean':
    case 'train-pgd': {
      const method = w.kind === 'train-clean' ? 'standard' : 'madry';
      const step = new TrainerStep(train, net, method, epsilon, w.kind === 'train-pgd' ? w.steps : 7);
      cleanup = () => step.dispose();
      iteration = async () => {
        details = { loss: await step.run(x, cycleLabels, round++) };
      };
      break;
    }
    case 'forward':
      iteration = async () => {
        const logits = tf.tidy(() => model(x));
        await logits.data();
        logits.dispose();
      };
      break;
    case 'attack-step':
      engine.ensureGradients();
      iteration = async () => {
        const { logits, loss, grad } = engine.lossAndGradient(model, engine.crossEntropyLoss, x, cycleLabels);
        await grad.data();
        tf.dispose([logits, loss, grad]);
      };
      break;
    case 'attack': {
      // Labels are the network's own predictions, so every example starts correctly classified and is attacked.
      const predicted = tf.tidy(() => tf.cast(tf.argMax(model(x), 1), 'int32')) as tf.Tensor1D;
      owned.push(predicted);
      const spec =
        w.attack === 'square'
          ? { name: w.attack, queries: w.steps }
          : w.attack === 'fgsm'
            ? { name: w.attack }
            : { name: w.attack, steps: w.steps };
      const settings = engine.resolveAttackSettings(spec, epsilon);
      iteration = async () => {
        const result = await engine.runAttack(model, x, predicted, settings, round++);
        await result.adversarial.data();
        result.adversarial.dispose();
        const fooled = result.success.filter(Boolean).length / result.success.length;
        details = { fooledFraction: fooled };
        const queries = (result as { queries?: number[] }).queries;
        if (queries) details.queriesPerImage = queries.reduce((a, b) => a + b, 0) / queries.length;
      };
      break;
    }
  }
  return {
    iteration,
    details: () => details,
    parameters: parameterCount(net),
    dispose: () => {
      cleanup();
      tf.dispose(owned);
      net.dispose();
    },
  };
}
