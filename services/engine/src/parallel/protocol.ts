/**
 * Messages between an EnginePool and its engine threads. Everything is plain data (typed arrays, numbers,
 * strings), so the same interface can carry the whole engine off a caller's event loop.
 */
import type { Genotype } from '@lrnas/schema';
import type { EvalNetworkOptions } from '../nn/network.js';
import type { AccuracyPair } from '../search/contribution.js';
import type { MixingWeights } from '../search/mixing.js';
import type { BnStatistics, ScoringStats } from '../search/scorer.js';
import type { EdgeMatrices } from '../search/space.js';
import type { SupernetOptions } from '../search/supernet.js';
import type { GradientMemory } from './gradient-exchange.js';
import type { ReducerMemory } from './reducer.js';

/** The network every thread builds (each its own replica, initialised from the same seed). */
export type ModelSpec =
  { kind: 'supernet'; options: SupernetOptions } | { kind: 'eval'; genotype: Genotype; options: EvalNetworkOptions };

/** Data every engine thread gets at start (workerData). */
export interface ThreadInit {
  rank: number;
  size: number;
  /** Backend name as initBackend takes it (e.g. wasm), or undefined for the engine's choice. */
  backend: string | undefined;
  model: ModelSpec;
  /** For batch-norm statistics: small vectors, several per layer. */
  reducer: ReducerMemory;
}

/** A batch part: NHWC images and labels. */
export interface Shard {
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
}

/** SGD with momentum, weight decay and gradient clipping, as the search and the trainer use it. */
export interface SgdSpec {
  momentum: number;
  weightDecay: number;
  /** Maximum global gradient norm, or null for none. */
  clip: number | null;
}

export type Request =
  /** Shared memory for summing gradients (sized by the parameters the threads report at start). */
  | { op: 'gradientMemory'; memory: GradientMemory }
  /** Parameters and buffers by name. */
  | { op: 'state' }
  /** Replaces parameters and buffers (every name of `state`). */
  | { op: 'setState'; values: Record<string, Float32Array> }
  /** SGD momentum buffers by parameter name (those that have taken a step). */
  | { op: 'optimizerState' }
  /** Replaces the optimiser (settings and momentum buffers), as a checkpoint restores it. */
  | { op: 'setOptimizerState'; sgd: SgdSpec; values: Record<string, Float32Array> }
  /**
   * One training step on this thread's part of a batch of `batch` images: gradients of the batch's mean
   * cross-entropy summed over the threads, one SGD update on every replica alike.
   */
  | { op: 'train'; shard: Shard; batch: number; weights?: MixingWeights; sgd: SgdSpec; lr: number }
  /** Logits in inference mode. */
  | { op: 'logits'; shard: Shard; weights?: MixingWeights }
  /** Cross-entropy (this part's share of the batch's mean) and its gradient with respect to the input, inference mode. */
  | { op: 'inputGradient'; shard: Shard; batch: number; weights?: MixingWeights }
  /** FGSM examples against the full supernet of `alphas`, in parts of `part` images (null: whole), as the search makes them. */
  | { op: 'fgsm'; shard: Shard; alphas: EdgeMatrices; epsilon: number; part: number | null; statistics: BnStatistics }
  /** Opens a contribution scorer (search/scorer.ts) of one permutation's batch on this thread's replica. */
  | {
      op: 'scorerOpen';
      key: number;
      alphas: EdgeMatrices;
      shard: Shard;
      adversarial: Float32Array;
      maxGroups: number;
      statistics: BnStatistics;
    }
  /** Accuracies with the first t players of `order` removed, t = from .. from+count-1. */
  | { op: 'scorerPrefixes'; key: number; order: number[]; from: number; count: number }
  | { op: 'scorerClose'; key: number };

/** Where one thread's training step went: its wall time and the barriers it met and waited at. */
export interface StepTime {
  stepMs: number;
  barriers: number;
  waitMs: number;
}

export type Response =
  /** A thread's greeting: its trainable values, and each parameter's name and size in its order. */
  | { ok: true; parameters: number; names: string[]; sizes: number[] }
  | { ok: true; state: Record<string, Float32Array> }
  | { ok: true; loss: number; correct: number; time: StepTime }
  | { ok: true; logits: Float32Array; classes: number }
  | { ok: true; loss: number; grad: Float32Array }
  | { ok: true; adversarial: Float32Array }
  /** `work`: the scorer's counters since it was opened. */
  | { ok: true; pairs: AccuracyPair[]; work: ScoringStats }
  | { ok: true; done: true }
  | { ok: false; error: string };
