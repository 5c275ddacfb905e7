import * as tf from '@tensorflow/tfjs-core';
import { NETWORKS, type BenchConfig, type WorkloadKind } from './configs.js';
import { clippedStep } from './train-step.js';
import { parameterCount, type Engine, type PreparedWorkload } from './workloads.js';

const CLASSES = 10;
const SEED = 20261126;

type SupernetWorkload = Extract<WorkloadKind, { kind: `supernet-${string}` }>;

/** Whether a workload runs on a supernet rather than an evaluation network. */
export function isSupernetWorkload(workload: WorkloadKind): workload is SupernetWorkload {
  return workload.kind.startsWith('supernet-');
}

/**
 * Supernet workloads: a training step of the weights (clean cross-entropy, SGD), a forward pass, and
 * one contribution estimate, whose details compare the work done with the naive count (every prefix of
 * every permutation from the stem, every operation of every edge).
 */
export function prepareSupernetWorkload(engine: Engine, config: BenchConfig): PreparedWorkload {
  const shape = NETWORKS[config.network];
  const net = new engine.Supernet({
    channels: shape.channels,
    layers: shape.layers,
    classes: CLASSES,
    inputChannels: shape.inputChannels,
    seed: SEED,
  });
  const n = config.batch;
  const values = new engine.Rng(SEED).fillUniform(
    new Float32Array(n * shape.imageSize ** 2 * shape.inputChannels),
    0,
    1,
  );
  const x = tf.tensor4d(values, [n, shape.imageSize, shape.imageSize, shape.inputChannels]);
  const y = tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => i % CLASSES),
    'int32',
  );
  const alphaRng = new engine.Rng(SEED);
  const alphas = engine.initialMomentum(alphaRng);
  const weights = engine.mixingWeights(alphas);
  const params = net.namedParameters();
  const optimizer = new engine.Sgd(params, { momentum: 0.9, weightDecay: 3e-4 });
  let details: Record<string, number> = {};
  const w = config.workload as SupernetWorkload;
  const paperSized = config.network === 'supernet-paper';
  let iteration: () => void | Promise<void>;
  switch (w.kind) {
    case 'supernet-train':
      iteration = async () => {
        const { value, grads } = tf.variableGrads(
          () => engine.crossEntropy(net.forward(x, weights, { training: true }), y) as tf.Scalar,
          params.map(([, v]) => v),
        );
        const byName = new Map(params.map(([name, v]) => [name, grads[v.name] as tf.Tensor]));
        await clippedStep(engine, optimizer, byName, 5, 0.1);
        details = { loss: (await value.data())[0] as number };
        tf.dispose([value, ...Object.values(grads)]);
      };
      break;
    case 'supernet-forward':
      iteration = async () => {
        const logits = net.forward(x, weights, { training: false });
        await logits.data();
        logits.dispose();
      };
      break;
    case 'supernet-estimate': {
      // Batch statistics, as the search measures masks.
      const ctx = engine.scoringContext('batch', 1);
      iteration = async () => {
        const began = performance.now();
        const stats = engine.emptyScoringStats();
        // In parts of 32 images on the paper's supernet, as its preset does (the wasm heap ends at 4 GB).
        const model = (input: tf.Tensor4D): tf.Tensor2D => net.forward(input, weights, ctx);
        const adversarial = await engine.fgsmInParts(model, x, y, shape.epsilon, paperSized ? 32 : null);
        const estimate = await engine.estimateContributions(
          // Masks per pass as the presets measure them (tiny 8, paper 2: its cells are 8 times larger).
          async () =>
            new engine.SupernetScorer(net, alphas, { x, adversarial, y }, { maxGroups: paperSized ? 2 : 8, stats }),
          // Reference mode walks every prefix, like the released code's naive walk that --reference times.
          { mode: 'reference', permutations: w.permutations, rng: new engine.Rng(SEED) },
        );
        adversarial.dispose();
        // A naive walk runs every one of the 7 non-zero operations of the 14 edges of every cell per prefix.
        const naiveOperations = estimate.naivePrefixEvaluations * shape.layers * 14 * 7;
        details = {
          secondsPerEstimate: (performance.now() - began) / 1000,
          prefixes: estimate.prefixEvaluations,
          naivePrefixes: estimate.naivePrefixEvaluations,
          cellEvaluations: stats.cellEvaluations,
          naiveCellEvaluations: estimate.naivePrefixEvaluations * shape.layers,
          operations: stats.operations,
          naiveOperations,
          operationSpeedup: naiveOperations / stats.operations,
        };
      };
      break;
    }
  }
  return {
    iteration,
    details: () => details,
    parameters: parameterCount(net),
    dispose: () => {
      optimizer.dispose();
      tf.dispose([x, y]);
      net.dispose();
    },
  };
}
