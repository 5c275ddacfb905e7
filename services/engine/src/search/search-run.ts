import * as tf from '@tensorflow/tfjs-core';
import { ContractError, type Genotype } from '@lrnas/schema';
import { EpochPlan } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { limitSize, splitHalves } from '../data/splits.js';
import { EnginePool, type HostBatch } from '../parallel/pool.js';
import { deriveSeedFromParts, Rng } from '../random.js';
import { differingKeys } from '../settings-diff.js';
import { correctCount, crossEntropy } from '../nn/losses.js';
import { Sgd } from '../optim/optimizer.js';
import { optimizationStep } from '../train/step.js';
import { cosineLr } from '../optim/schedule.js';
import { checkSameData, fingerprintData, type DataFingerprint } from '../train/state.js';
import { initialMomentum, updateArchitecture, type MomentumState } from './alpha-update.js';
import { estimateContributions, type ContributionEstimate, type PermutationScorer } from './contribution.js';
import { fgsmInParts } from './fgsm-parts.js';
import { mixingWeights, type MixingWeights } from './mixing.js';
import { emptyScoringStats, scoringContext, SupernetScorer, type ScoringStats } from './scorer.js';
import {
  readSearchCheckpoint,
  writeSearchCheckpoint,
  type SearchCheckpoint,
  type SearchCheckpointState,
  type SearchEpochProgress,
  type SearchEpochSummary,
  type SearchPosition,
} from './search-checkpoint.js';
import { selectBySettings } from './selection.js';
import { validateSearchSettings, type SearchSettings, type SelectionSettings } from './settings.js';
import { toEdgeMatrices, type EdgeMatrices } from './space.js';
import { Supernet } from './supernet.js';

/** Purposes of the search's random streams (the data module numbers its own from 1, training from 101). */
export const SEARCH_STREAMS = {
  weights: 201,
  alphas: 202,
  momentum: 203,
  permutations: 204,
  scoring: 205,
} as const;

/** One training step of the supernet's weights. */
export interface SearchStepEvent {
  type: 'step';
  epoch: number;
  batch: number;
  batches: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  accuracy: number;
  lr: number;
  seconds: number;
}

/** Progress of the contribution estimation of an epoch, in prefixes (masks) measured. */
export interface EstimateProgressEvent {
  type: 'estimate-progress';
  epoch: number;
  done: number;
  total: number;
}

/** The contribution values of an epoch (section 4) and the architecture weights they moved (section 5). */
export interface ContributionsEvent {
  type: 'contributions';
  epoch: number;
  /** z(clean drop) + z(adversarial drop), averaged over permutations. */
  values: EdgeMatrices;
  /** Mean raw drops. */
  clean: EdgeMatrices;
  adversarial: EdgeMatrices;
  alphas: EdgeMatrices;
  prefixEvaluations: number;
  naivePrefixEvaluations: number;
  /** Work counters of the scorer (cells and operations run, times masks). */
  work: ScoringStats;
  seconds: number;
}

/** The genotype selected after an epoch. */
export interface SearchGenotypeEvent {
  type: 'genotype';
  epoch: number;
  genotype: Genotype;
  params: number;
}

/** An epoch's summary. */
export interface SearchEpochEvent extends SearchEpochSummary {
  type: 'epoch';
}

/** A checkpoint was written. */
export interface SearchCheckpointEvent {
  type: 'checkpoint';
  path: string;
  bytes: number;
  position: SearchPosition;
}

/** Everything a search reports, through one callback. */
export type SearchEvent =
  | SearchStepEvent
  | EstimateProgressEvent
  | ContributionsEvent
  | SearchGenotypeEvent
  | SearchEpochEvent
  | SearchCheckpointEvent;

/** How to run a search. */
export interface SearchRunOptions {
  onEvent?: (event: SearchEvent) => void;
  /** Cancels the run: checked before every step and between estimation passes. */
  signal?: AbortSignal;
  /** Checkpoint file, written after every epoch, on cancel and when stopped. */
  checkpointPath?: string;
  /** Stop after this many training steps of this call (status 'stopped'); resume later. */
  maxSteps?: number;
  /**
   * Engine threads (default 1: this thread). With more, a pool of engine threads trains the weights data-parallel
   * (whole-batch BN statistics, gradients summed over the threads: equal to one thread up to float summation
   * order; micro-batching is then per thread) and walks the contribution estimate's prefixes (exactly one
   * thread's result for the same weights); this thread keeps the state for checkpoints and evaluation. On webgpu
   * the search runs in this thread alone: the threads split a batch over CPU cores, and a GPU computes it whole.
   */
  threads?: number;
}

/** The images and labels of a batch in host memory, for the engine threads. */
async function hostBatch(x: tf.Tensor4D, y: tf.Tensor1D): Promise<HostBatch> {
  const [images, labels] = await Promise.all([x.data(), y.data()]);
  return { x: images as Float32Array, shape: x.shape, y: Int32Array.from(labels) };
}

/** How a search ended. */
export interface SearchResult {
  status: 'completed' | 'cancelled' | 'stopped';
  position: SearchPosition;
  history: SearchEpochSummary[];
  alphas: EdgeMatrices;
  /** The genotype selected from the current architecture weights, and its parameters. */
  genotype: Genotype;
  params: number;
  seconds: number;
}

/** What a new search needs. */
export interface SearchSetup {
  settings: SearchSettings;
  selection: SelectionSettings;
  /** Run seed: weights, architecture weights, batch order, permutations, scoring batches. */
  seed: number;
  /** The training set; the search takes `settings.trainLimit` of it and splits it in halves. */
  train: Dataset;
}

/**
 * An LRNAS search (lrnas-method.md sections 2 to 6): each epoch trains the supernet's weights on
 * one half of the training data (plain cross-entropy, SGD, cosine rate, gradient clipping), then,
 * after the warm-up, estimates every player's contribution on the other half and moves the
 * architecture weights by them, then selects the genotype under the budget. Every random draw
 * comes from a stream derived from (seed, purpose, epoch, batch), so position plus state is the
 * whole run: a search resumed from a checkpoint repeats an uninterrupted one (same backend).
 */
export class SearchRun {
  readonly settings: SearchSettings;
  readonly selection: SelectionSettings;
  readonly seed: number;
  readonly supernet: Supernet;
  readonly optimizer: Sgd;
  readonly weightsData: Dataset;
  readonly validData: Dataset;
  readonly data: DataFingerprint;
  #alphas: EdgeMatrices;
  #momentum: MomentumState;
  #position: SearchPosition = { epoch: 0, batch: 0, step: 0 };
  #progress: SearchEpochProgress = emptyProgress();
  #history: SearchEpochSummary[] = [];
  readonly #params: Array<[string, tf.Variable]>;
  /** Engine threads during run() with threads > 1; they hold the newest weights until #pull copies them here. */
  #pool: EnginePool | undefined;

  constructor(setup: SearchSetup) {
    const settings = validateSearchSettings(setup.settings);
    if (!Number.isSafeInteger(setup.seed) || setup.seed < 0)
      throw new ContractError('seed', `must be a non-negative integer, got ${setup.seed}`);
    this.settings = settings;
    this.selection = setup.selection;
    this.seed = setup.seed;
    const used = limitSize(setup.train, settings.trainLimit ?? undefined, setup.seed);
    const { train, valid } = splitHalves(used, setup.seed);
    this.weightsData = train;
    this.validData = valid;
    this.data = fingerprintData(used, undefined);
    this.supernet = new Supernet({
      channels: settings.channels,
      layers: settings.layers,
      classes: used.classes,
      inputChannels: used.channels,
      partialChannels: settings.partialChannels,
      seed: deriveSeedFromParts(setup.seed, SEARCH_STREAMS.weights),
    });
    this.#params = this.supernet.namedParameters();
    this.optimizer = new Sgd(this.#params, { momentum: settings.momentum, weightDecay: settings.weightDecay });
    // DARTS initialises the architecture weights as 1e-3 * N(0, 1).
    const start = initialMomentum(new Rng(deriveSeedFromParts(setup.seed, SEARCH_STREAMS.alphas)));
    this.#alphas = start;
    this.#momentum = initialMomentum(new Rng(deriveSeedFromParts(setup.seed, SEARCH_STREAMS.momentum)));
  }

  /** A search in the state a checkpoint holds, on the same training data (checked by fingerprint). */
  static fromCheckpoint(checkpoint: SearchCheckpoint, train: Dataset): SearchRun {
    const s = checkpoint.state;
    const run = new SearchRun({ settings: s.settings, selection: s.selection, seed: s.seed, train });
    try {
      checkSameData(s.data, run.data, checkpoint.file);
    } catch (error) {
      run.dispose();
      throw error;
    }
    try {
      run.supernet.loadState(new Map([...checkpoint.tensors.parameter, ...checkpoint.tensors.buffer]));
      run.optimizer.loadBuffers(checkpoint.tensors.momentum);
    } catch (error) {
      run.dispose();
      throw new ContractError('checkpoint', `${checkpoint.file} does not fit this search: ${(error as Error).message}`);
    }
    run.#alphas = structuredClone(s.alphas);
    run.#momentum = structuredClone(s.momentum);
    run.#position = { ...s.position };
    run.#progress = { ...s.progress };
    run.#history = structuredClone(s.history);
    return run;
  }

  /**
   * Reads a checkpoint file and restores the search from it. With `expected`, a checkpoint of another
   * search (other settings, selection or seed) is refused, naming what differs.
   */
  static async resume(
    file: string,
    train: Dataset,
    expected?: { search: SearchSettings; selection: SelectionSettings; seed: number },
  ): Promise<SearchRun> {
    const checkpoint = await readSearchCheckpoint(file);
    try {
      if (expected) {
        const s = checkpoint.state;
        const found = { search: s.settings, selection: s.selection, seed: s.seed };
        const differ = differingKeys(found, expected);
        if (differ.length > 0)
          throw new ContractError(
            differ[0] as string,
            `the checkpoint ${file} belongs to another search (${differ.join(', ')} differ)`,
          );
      }
      return SearchRun.fromCheckpoint(checkpoint, train);
    } finally {
      for (const group of Object.values(checkpoint.tensors)) tf.dispose([...group.values()]);
    }
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.weightsData.size / this.settings.batchSize);
  }

  get position(): SearchPosition {
    return { ...this.#position };
  }

  get alphas(): EdgeMatrices {
    return structuredClone(this.#alphas);
  }

  get history(): SearchEpochSummary[] {
    return structuredClone(this.#history);
  }

  get finished(): boolean {
    return this.#position.epoch >= this.settings.epochs;
  }

  /** The genotype the selection rule derives from the current architecture weights, and its parameter count. */
  selectGenotype(): { genotype: Genotype; params: number } {
    return selectBySettings(this.#alphas, this.selection, this.supernet.shape);
  }

  /** Runs from the current position to the end (or until cancelled or stopped). */
  async run(options: SearchRunOptions = {}): Promise<SearchResult> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1)
      throw new ContractError('threads', `must be a positive integer, got ${threads}`);
    if (threads === 1 || tf.getBackend() === 'webgpu') return this.#run(options);
    this.#pool = await EnginePool.start({
      threads,
      model: { kind: 'supernet', options: this.#supernetOptions() },
      backend: tf.getBackend(),
    });
    try {
      await this.#push();
      return await this.#run(options);
    } finally {
      const pool = this.#pool;
      try {
        await this.#pull();
      } finally {
        this.#pool = undefined;
        await pool.close();
      }
    }
  }

  #supernetOptions(): ConstructorParameters<typeof Supernet>[0] {
    const { channels, layers, classes, inputChannels } = this.supernet.shape;
    return { channels, layers, classes, inputChannels, partialChannels: this.supernet.k };
  }

  #sgdSpec(): { momentum: number; weightDecay: number; clip: number | null } {
    const s = this.settings;
    return { momentum: s.momentum, weightDecay: s.weightDecay, clip: s.gradientClip };
  }

  /** Copies this thread's weights, BN statistics and momentum buffers to every engine thread. */
  async #push(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    const values = async (pairs: Array<[string, tf.Variable]>): Promise<Record<string, Float32Array>> => {
      const read = await Promise.all(pairs.map(([, v]) => v.data()));
      return Object.fromEntries(pairs.map(([name], i) => [name, read[i] as Float32Array]));
    };
    await pool.setState(await values(this.supernet.namedVariables()));
    await pool.setOptimizerState(this.#sgdSpec(), await values(this.optimizer.namedBuffers()));
  }

  /** Copies the engine threads' weights, BN statistics and momentum buffers back to this thread. */
  async #pull(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    const tensors = (record: Record<string, Float32Array>, shapes: Map<string, number[]>): Map<string, tf.Tensor> =>
      new Map(Object.entries(record).map(([name, v]) => [name, tf.tensor(v, shapes.get(name))]));
    const shapes = new Map(this.supernet.namedVariables().map(([name, v]) => [name, v.shape]));
    const state = tensors(await pool.state(), shapes);
    const momentum = tensors(await pool.optimizerState(), shapes);
    try {
      this.supernet.loadState(state);
      this.optimizer.loadBuffers(momentum);
    } finally {
      tf.dispose([...state.values(), ...momentum.values()]);
    }
  }

  async #run(options: SearchRunOptions): Promise<SearchResult> {
    const began = performance.now();
    const { signal, onEvent } = options;
    const emit = (event: SearchEvent): void => onEvent?.(event);
    const save = async (): Promise<void> => {
      if (!options.checkpointPath) return;
      await this.#pull();
      const bytes = await this.saveCheckpoint(options.checkpointPath);
      emit({ type: 'checkpoint', path: options.checkpointPath, bytes, position: this.position });
    };
    const result = (status: SearchResult['status']): SearchResult => ({
      status,
      position: this.position,
      history: this.history,
      alphas: this.alphas,
      ...this.selectGenotype(),
      seconds: (performance.now() - began) / 1000,
    });
    const maxSteps = options.maxSteps;
    if (maxSteps !== undefined && !(Number.isSafeInteger(maxSteps) && maxSteps >= 0))
      throw new ContractError('maxSteps', `must be a non-negative integer, got ${maxSteps}`);
    let stepsThisCall = 0;
    const s = this.settings;
    const batches = this.batchesPerEpoch;
    while (!this.finished) {
      const epoch = this.#position.epoch;
      const lr = cosineLr(s.learningRate, epoch, s.epochs);
      const plan = new EpochPlan(this.weightsData, { batchSize: s.batchSize, seed: this.seed, epoch });
      while (this.#position.batch < batches) {
        if (signal?.aborted) {
          await save();
          return result('cancelled');
        }
        if (maxSteps !== undefined && stepsThisCall >= maxSteps) {
          await save();
          return result('stopped');
        }
        const b = this.#position.batch;
        const stepBegan = performance.now();
        const { x, y } = plan.tensors(b);
        let figures: { loss: number; correct: number };
        try {
          figures = this.#pool
            ? await this.#pool.trainStep(await hostBatch(x, y), this.#sgdSpec(), lr, mixingWeights(this.#alphas))
            : await this.#step(x, y, lr);
        } finally {
          tf.dispose([x, y]);
        }
        const seconds = (performance.now() - stepBegan) / 1000;
        const n = y.shape[0];
        const p = this.#progress;
        p.lossSum += figures.loss * n;
        p.correct += figures.correct;
        p.examples += n;
        p.seconds += seconds;
        this.#position = { epoch, batch: b + 1, step: this.#position.step + 1 };
        stepsThisCall += 1;
        emit({
          type: 'step',
          epoch,
          batch: b,
          batches,
          step: this.#position.step,
          totalSteps: batches * s.epochs,
          loss: Number.isFinite(figures.loss) ? figures.loss : null,
          accuracy: figures.correct / n,
          lr,
          seconds,
        });
        await new Promise<void>((resolve) => setImmediate(resolve));
      }

      const epochBegan = performance.now();
      let estimate:
        (ContributionEstimate & { seconds: number; full: { clean: number; adversarial: number } }) | undefined;
      if (epoch >= s.warmupEpochs) {
        try {
          estimate = await this.#estimate(epoch, emit, signal);
        } catch (error) {
          if (signal?.aborted) {
            await save();
            return result('cancelled');
          }
          throw error;
        }
      }
      // The evaluation below runs on this thread's copy of the weights.
      await this.#pull();
      const validAccuracy = await this.#validAccuracy();
      const chosen = this.selectGenotype();
      const p = this.#progress;
      const summary: SearchEpochSummary = {
        epoch,
        epochs: s.epochs,
        lr,
        trainLoss: p.examples > 0 && Number.isFinite(p.lossSum) ? p.lossSum / p.examples : null,
        trainAccuracy: p.examples > 0 ? p.correct / p.examples : 0,
        validAccuracy,
        estimated: estimate !== undefined,
        scoringClean: estimate?.full.clean ?? null,
        scoringAdversarial: estimate?.full.adversarial ?? null,
        prefixEvaluations: estimate?.prefixEvaluations ?? 0,
        naivePrefixEvaluations: estimate?.naivePrefixEvaluations ?? 0,
        estimateSeconds: estimate?.seconds ?? 0,
        genotype: chosen.genotype,
        params: chosen.params,
        seconds: p.seconds + (performance.now() - epochBegan) / 1000,
      };
      this.#history.push(summary);
      this.#position = { epoch: epoch + 1, batch: 0, step: this.#position.step };
      this.#progress = emptyProgress();
      emit({ type: 'genotype', epoch, genotype: chosen.genotype, params: chosen.params });
      emit({ type: 'epoch', ...summary });
      await save();
    }
    return result('completed');
  }

  /** One SGD step of the weights on clean cross-entropy; the architecture weights get no gradient (section 3). */
  #step(x: tf.Tensor4D, y: tf.Tensor1D, lr: number): Promise<{ loss: number; correct: number }> {
    const weights = mixingWeights(this.#alphas);
    return optimizationStep({
      params: this.#params,
      optimizer: this.optimizer,
      lr,
      clip: this.settings.gradientClip,
      labels: y,
      microBatch: this.settings.microBatch,
      forward: ({ start, end }) => {
        const whole = start === 0 && end === y.shape[0];
        const xs = whole ? x : tf.slice(x, start, end - start);
        const ys = whole ? y : tf.slice(y, start, end - start);
        const logits = this.supernet.forward(xs, weights, { training: true });
        return { loss: crossEntropy(logits, ys) as tf.Scalar, logits };
      },
    });
  }

  /** Contribution estimation of an epoch and the update of the architecture weights (sections 4 and 5). */
  async #estimate(
    epoch: number,
    emit: (event: SearchEvent) => void,
    signal: AbortSignal | undefined,
  ): Promise<ContributionEstimate & { seconds: number; full: { clean: number; adversarial: number } }> {
    const began = performance.now();
    const s = this.settings;
    const alphas = this.#alphas;
    const stats = emptyScoringStats();
    const plan = new EpochPlan(this.validData, {
      batchSize: s.estimateBatchSize,
      seed: deriveSeedFromParts(this.seed, SEARCH_STREAMS.scoring),
      epoch,
    });
    const full = mixingWeights(alphas);
    const fullAccuracy = { clean: 0, adversarial: 0 };
    const pool = this.#pool;
    const scorerFor = async (permutation: number): Promise<PermutationScorer> => {
      if (pool) return this.#threadScorer(pool, plan, permutation, alphas, stats, fullAccuracy);
      const { x, y } = plan.tensors(permutation % plan.count);
      // FGSM examples made once per permutation against the full supernet (section 4).
      const adversarial = await this.#fgsm(x, y, full);
      const scorer = new SupernetScorer(
        this.supernet,
        alphas,
        { x, adversarial, y },
        { maxGroups: s.scoringGroups, stats },
      );
      let first = true;
      return {
        prefixes: async (order, from, count) => {
          const out = await scorer.prefixes(order, from, count);
          if (first && from === 0 && out[0]) {
            fullAccuracy.clean += out[0].clean / s.permutations;
            fullAccuracy.adversarial += out[0].adversarial / s.permutations;
          }
          first = false;
          return out;
        },
        dispose: () => {
          scorer.dispose();
          tf.dispose([x, y, adversarial]);
        },
      };
    };
    const estimate = await estimateContributions(scorerFor, {
      mode: s.estimationMode,
      permutations: s.permutations,
      rng: new Rng(deriveSeedFromParts(this.seed, SEARCH_STREAMS.permutations, epoch)),
      // With engine threads each request is split over them: a full pass of masks for each.
      chunk: s.scoringGroups * (pool?.size ?? 1),
      signal,
      onProgress: (done, total) => emit({ type: 'estimate-progress', epoch, done, total }),
    });
    const next = updateArchitecture(alphas, estimate.values, this.#momentum, s.estimationMode);
    this.#alphas = next.alphas;
    this.#momentum = next.momentum;
    const seconds = (performance.now() - began) / 1000;
    emit({
      type: 'contributions',
      epoch,
      values: toEdgeMatrices(estimate.values),
      clean: toEdgeMatrices(estimate.clean),
      adversarial: toEdgeMatrices(estimate.adversarial),
      alphas: this.alphas,
      prefixEvaluations: estimate.prefixEvaluations,
      naivePrefixEvaluations: estimate.naivePrefixEvaluations,
      work: { ...stats },
      seconds,
    });
    return { ...estimate, seconds, full: fullAccuracy };
  }

  /** A permutation's scorer on the engine threads: FGSM examples made on one, every request's prefixes split. */
  async #threadScorer(
    pool: EnginePool,
    plan: EpochPlan,
    permutation: number,
    alphas: EdgeMatrices,
    stats: ScoringStats,
    fullAccuracy: { clean: number; adversarial: number },
  ): Promise<PermutationScorer> {
    const s = this.settings;
    const { x, y } = plan.tensors(permutation % plan.count);
    const batch = await hostBatch(x, y);
    tf.dispose([x, y]);
    const adversarial = await pool.fgsm(alphas, batch, s.fgsmEpsilon, s.microBatch, s.scoringStatistics);
    const scorer = await pool.scorer(alphas, batch, adversarial, {
      maxGroups: s.scoringGroups,
      statistics: s.scoringStatistics,
      stats,
    });
    return {
      prefixes: async (order, from, count) => {
        const out = await scorer.prefixes(order, from, count);
        if (from === 0 && out[0]) {
          fullAccuracy.clean += out[0].clean / s.permutations;
          fullAccuracy.adversarial += out[0].adversarial / s.permutations;
        }
        return out;
      },
      dispose: () => scorer.dispose?.(),
    };
  }

  /** FGSM examples against the full supernet, crafted in parts of at most `microBatch` images (memory). */
  #fgsm(x: tf.Tensor4D, y: tf.Tensor1D, weights: MixingWeights): Promise<tf.Tensor4D> {
    const s = this.settings;
    const ctx = scoringContext(s.scoringStatistics, 1);
    return fgsmInParts((input) => this.supernet.forward(input, weights, ctx), x, y, s.fgsmEpsilon, s.microBatch);
  }

  /** Clean accuracy of the full supernet (inference) on the first `validExamples` valid images. */
  async #validAccuracy(): Promise<number | null> {
    const n = Math.min(this.settings.validExamples, this.validData.size);
    if (n === 0) return null;
    const weights = mixingWeights(this.#alphas);
    let correct = 0;
    // Batches as the estimation measures them (with batch statistics, each batch on its own).
    const size = this.settings.estimateBatchSize;
    const ctx = scoringContext(this.settings.scoringStatistics, 1);
    for (let start = 0; start < n; start += size) {
      const { x, y } = this.validData.toTensors(start, Math.min(n, start + size));
      const count = tf.tidy(() => correctCount(this.supernet.forward(x, weights, ctx), y));
      tf.dispose([x, y]);
      correct += (await count.data())[0] as number;
      count.dispose();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return correct / n;
  }

  /** The checkpoint's JSON part for the current state. */
  checkpointState(): SearchCheckpointState {
    return {
      settings: this.settings,
      selection: this.selection,
      seed: this.seed,
      data: this.data,
      position: this.position,
      progress: { ...this.#progress },
      history: this.history,
      alphas: this.alphas,
      momentum: structuredClone(this.#momentum),
    };
  }

  /** Writes the full state to `file` atomically; returns the bytes written. */
  async saveCheckpoint(file: string): Promise<number> {
    return writeSearchCheckpoint(file, this.checkpointState(), {
      parameter: this.supernet.namedParameters(),
      buffer: this.supernet.namedBuffers(),
      momentum: this.optimizer.namedBuffers(),
    });
  }

  dispose(): void {
    this.optimizer.dispose();
    this.supernet.dispose();
  }
}

function emptyProgress(): SearchEpochProgress {
  return { lossSum: 0, correct: 0, examples: 0, seconds: 0 };
}
