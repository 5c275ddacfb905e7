import { NETWORKS, type BenchConfig, type WorkloadKind } from './configs.js';
import type { Genotype } from '@lrnas/schema';
import type { Engine, PreparedWorkload } from './workloads.js';
import type { StepTime } from '../src/parallel/protocol.js';

const CLASSES = 10;
const SEED = 20261126;

/** Workloads measured on an engine pool when the benchmark runs more than one thread. */
const POOLED: ReadonlySet<WorkloadKind['kind']> = new Set([
  'train-clean',
  'train-pgd',
  'forward',
  'attack-step',
  'supernet-train',
  'supernet-forward',
  'supernet-estimate',
]);

/** Whether `config` runs on engine threads at `threads` (older engines without a pool run on one). */
export function runsPooled(engine: Engine, config: BenchConfig, threads: number): boolean {
  return threads > 1 && POOLED.has(config.workload.kind) && 'EnginePool' in engine;
}

/**
 * Where a data-parallel step's time went: barriers met per thread, the mean time a thread waited at them, the mean
 * time a thread spent in the step, and what the step cost beyond its slowest thread (messages, copies of the batch).
 */
function syncDetails(threads: StepTime[], wallMs: number): Record<string, number> {
  const mean = (f: (t: StepTime) => number): number => threads.reduce((s, t) => s + f(t), 0) / threads.length;
  return {
    barriers: mean((t) => t.barriers),
    barrierWaitMs: mean((t) => t.waitMs),
    threadStepMs: mean((t) => t.stepMs),
    outsideThreadsMs: wallMs - Math.max(...threads.map((t) => t.stepMs)),
  };
}

/**
 * The same workloads as workloads.ts and supernet.ts, data-parallel over `threads` engine threads: the
 * same seeded images and labels, network shape and optimiser settings; the pool splits each batch.
 */
export async function preparePooledWorkload(
  engine: Engine,
  genotype: Genotype,
  config: BenchConfig,
  threads: number,
): Promise<PreparedWorkload> {
  const shape = NETWORKS[config.network];
  const networkShape = {
    channels: shape.channels,
    layers: shape.layers,
    classes: CLASSES,
    inputChannels: shape.inputChannels,
    seed: SEED,
  };
  const w = config.workload;
  const supernet = w.kind.startsWith('supernet-');
  const pool = await engine.EnginePool.start({
    threads,
    backend: 'wasm',
    model: supernet ? { kind: 'supernet', options: networkShape } : { kind: 'eval', genotype, options: networkShape },
  });
  const n = config.batch;
  const batch = {
    x: new engine.Rng(SEED).fillUniform(new Float32Array(n * shape.imageSize ** 2 * shape.inputChannels), 0, 1),
    shape: [n, shape.imageSize, shape.imageSize, shape.inputChannels] as [number, number, number, number],
    y: Int32Array.from({ length: n }, (_, i) => i % CLASSES),
  };
  const weights = supernet ? engine.mixingWeights(engine.initialMomentum(new engine.Rng(SEED))) : undefined;
  // The optimiser settings of supernet.ts (search) and train-step.ts (retraining).
  const sgd = supernet ? { momentum: 0.9, weightDecay: 3e-4, clip: 5 } : { momentum: 0.9, weightDecay: 1e-4, clip: 5 };
  let details: Record<string, number> = {};
  let iteration: () => Promise<void>;
  switch (w.kind) {
    case 'train-clean':
    case 'supernet-train':
      iteration = async () => {
        const began = performance.now();
        const step = await pool.trainStep(batch, sgd, 0.1, weights);
        // An engine from before step times (--compare) reports none.
        const times = (step as { threads?: StepTime[] }).threads;
        details = { loss: step.loss, ...(times ? syncDetails(times, performance.now() - began) : {}) };
      };
      break;
    case 'train-pgd': {
      // Madry PGD against the network in inference mode (random start, signed steps, projection), then one step.
      const eps = shape.epsilon;
      const step = engine.defaultAttackStepSize(eps, w.steps);
      const rng = new engine.Rng(SEED + 1);
      iteration = async () => {
        const adv = Float32Array.from(batch.x, (v) => Math.min(1, Math.max(0, v + (2 * rng.nextFloat() - 1) * eps)));
        for (let s = 0; s < w.steps; s++) {
          const { grad } = await pool.inputGradient({ ...batch, x: adv });
          for (let i = 0; i < adv.length; i++) {
            const x0 = batch.x[i] as number;
            const moved = (adv[i] as number) + step * Math.sign(grad[i] as number);
            adv[i] = Math.min(1, Math.max(0, Math.min(x0 + eps, Math.max(x0 - eps, moved))));
          }
        }
        details = { loss: (await pool.trainStep({ ...batch, x: adv }, sgd, 0.1)).loss };
      };
      break;
    }
    case 'forward':
    case 'supernet-forward':
      iteration = async () => {
        await pool.logits(batch, weights);
      };
      break;
    case 'attack-step':
      iteration = async () => {
        await pool.inputGradient(batch);
      };
      break;
    case 'supernet-estimate': {
      // As supernet.ts: batch statistics, FGSM in parts of 32 on the paper's supernet, reference mode; each request
      // of prefixes is split over the threads (masks per pass per thread as the presets measure them).
      const alphas = engine.initialMomentum(new engine.Rng(SEED));
      const paperSized = config.network === 'supernet-paper';
      const maxGroups = paperSized ? 2 : 8;
      iteration = async () => {
        const began = performance.now();
        const adversarial = await pool.fgsm(alphas, batch, shape.epsilon, paperSized ? 32 : null, 'batch');
        const estimate = await engine.estimateContributions(
          async () => pool.scorer(alphas, batch, adversarial, { maxGroups, statistics: 'batch' }),
          {
            mode: 'reference',
            permutations: w.permutations,
            rng: new engine.Rng(SEED),
            chunk: maxGroups * threads,
          },
        );
        details = {
          secondsPerEstimate: (performance.now() - began) / 1000,
          prefixes: estimate.prefixEvaluations,
          naivePrefixes: estimate.naivePrefixEvaluations,
        };
      };
      break;
    }
    default:
      await pool.close();
      throw new Error(`${w.kind} does not run on engine threads`);
  }
  return {
    iteration,
    details: () => details,
    parameters: pool.parameters,
    dispose: () => void pool.close(),
  };
}
