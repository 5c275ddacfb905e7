import * as tf from '@tensorflow/tfjs-core';
import { ContractError, type Genotype } from '@lrnas/schema';
import { runSuite } from '../attacks/index.js';
import { EpochPlan } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { EvalNetwork } from '../nn/network.js';
import { deriveSeedFromParts, Rng } from '../random.js';
import {
  checkpointTensors,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
  type TrainCheckpointState,
  type NetworkSpec,
} from '../files/checkpoint.js';
import { correctCount } from '../nn/losses.js';
import { craftAdversarial, inferenceClassifier, objectiveLoss } from './objectives.js';
import { Sgd } from '../optim/optimizer.js';
import { optimizationStep } from './step.js';
import { dropPathProbability, learningRate } from '../optim/schedule.js';
import { scheduleOf, trainingEpsilon, type TrainSettings } from './settings.js';
import {
  checkSameData,
  emptyAccumulator,
  fingerprintData,
  type DataFingerprint,
  type EpochAccumulator,
  type EpochSummary,
  type TrainPosition,
} from './state.js';

/** Purposes of the trainer's random streams (the data module numbers its own from 1). */
export const TRAIN_STREAMS = {
  attack: 101,
  dropPath: 102,
  monitor: 103,
} as const;

/** One training step's figures. */
export interface StepEvent {
  type: 'step';
  epoch: number;
  /** Batch within the epoch. */
  batch: number;
  batches: number;
  /** Steps done in the whole run, this one included. */
  step: number;
  totalSteps: number;
  /** Mean loss of the batch; null when not finite. */
  loss: number | null;
  accuracy: number;
  lr: number;
  /** Global gradient norm before clipping; null when clipping is off. */
  gradNorm: number | null;
  /** Epsilon of the training adversary at this step (below the target during a warm-up). */
  epsilon: number;
  examples: number;
  seconds: number;
}

/** What one step measured. */
interface StepFigures {
  loss: number;
  correct: number;
  gradNorm: number | null;
  epsilon: number;
}

/** An epoch's summary. */
export interface EpochEvent extends EpochSummary {
  type: 'epoch';
}

/** A checkpoint was written. */
export interface CheckpointEvent {
  type: 'checkpoint';
  path: string;
  bytes: number;
  position: TrainPosition;
}

/** Progress of the evaluation between epochs, in examples. */
export interface ProgressEvent {
  type: 'progress';
  phase: 'test' | 'attack';
  epoch: number;
  done: number;
  total: number;
}

/** Everything a training run reports, through one callback. */
export type TrainEvent = StepEvent | EpochEvent | CheckpointEvent | ProgressEvent;

/** How to run. */
export interface RunOptions {
  /** Receives every event; exceptions thrown here abort the run. */
  onEvent?: (event: TrainEvent) => void;
  /** Cancels the run: checked before every step and between evaluation batches. */
  signal?: AbortSignal;
  /** Checkpoint file, written after every epoch (and on cancel, and every `checkpointEverySteps`). */
  checkpointPath?: string;
  checkpointEverySteps?: number;
  /** Write a checkpoint when cancelled or stopped (default true when `checkpointPath` is set). */
  checkpointOnCancel?: boolean;
  /** Stop after this many steps of this call (status 'stopped'), e.g. to fit a time slot; resume later. */
  maxSteps?: number;
}

/** How a run ended. */
export interface TrainResult {
  /** completed: every epoch done; cancelled: the signal fired; stopped: `maxSteps` reached. */
  status: 'completed' | 'cancelled' | 'stopped';
  position: TrainPosition;
  history: EpochSummary[];
  /** Wall-clock seconds of this call. */
  seconds: number;
}

/** What a new run needs. */
export interface TrainerSetup {
  genotype: Genotype;
  settings: TrainSettings;
  /** Run seed: initial weights, batch order, augmentation, adversarial starts, drop-path masks. */
  seed: number;
  train: Dataset;
  /** Measured after every epoch when given. */
  test?: Dataset;
  /**
   * Start from these weights and BN statistics (e.g. adversarial fine-tuning of a standard-trained
   * network) instead of the seed's initialisation; the optimiser starts fresh. Not disposed.
   */
  initialState?: EvalNetwork | ReadonlyMap<string, tf.Tensor>;
}

/**
 * Trains an evaluation network on a genotype: epochs of seeded batches, the objective of
 * `settings.method`, SGD with the schedule, test accuracy after every epoch. All randomness comes
 * from streams derived from (seed, purpose, epoch, batch), so the position is the whole random
 * state and a run resumed from a checkpoint repeats an uninterrupted one bit for bit (same backend).
 */
export class Trainer {
  readonly network: EvalNetwork;
  readonly optimizer: Sgd;
  readonly settings: TrainSettings;
  readonly genotype: Genotype;
  readonly seed: number;
  readonly train: Dataset;
  readonly test: Dataset | undefined;
  readonly data: DataFingerprint;
  #position: TrainPosition = { epoch: 0, batch: 0, step: 0 };
  #progress: EpochAccumulator = emptyAccumulator();
  #history: EpochSummary[] = [];
  readonly #params: Array<[string, tf.Variable]>;

  /** Builds the network (initialised from the seed) and the optimiser, at the start of the run. */
  constructor(setup: TrainerSetup) {
    const { settings, train, test } = setup;
    if (!Number.isSafeInteger(setup.seed) || setup.seed < 0)
      throw new ContractError('seed', `must be a non-negative integer, got ${setup.seed}`);
    if (test && (test.height !== train.height || test.width !== train.width || test.channels !== train.channels))
      throw new ContractError(
        'test',
        `images are ${test.height}x${test.width}x${test.channels}, the training images ${train.height}x${train.width}x${train.channels}`,
      );
    if (train.size === 0) throw new ContractError('train', 'has no images');
    this.settings = settings;
    this.genotype = structuredClone(setup.genotype);
    this.seed = setup.seed;
    this.train = train;
    this.test = test;
    this.data = fingerprintData(train, test);
    this.network = new EvalNetwork(setup.genotype, {
      channels: settings.channels,
      layers: settings.layers,
      classes: train.classes,
      inputChannels: train.channels,
      auxiliary: settings.auxiliaryWeight > 0,
      seed: setup.seed,
    });
    if (setup.initialState) {
      const state =
        setup.initialState instanceof EvalNetwork ? new Map(setup.initialState.namedVariables()) : setup.initialState;
      try {
        this.network.loadState(state);
      } catch (error) {
        this.network.dispose();
        if (error instanceof Error) throw new ContractError('initialState', error.message);
        throw error;
      }
    }
    this.#params = this.network.namedParameters();
    this.optimizer = new Sgd(this.#params, { momentum: settings.momentum, weightDecay: settings.weightDecay });
  }

  /**
   * A trainer in the state a checkpoint holds (weights, BN statistics, momentum, position, epoch sums,
   * history), on the same data (checked against the checkpoint's fingerprint).
   */
  static fromCheckpoint(checkpoint: Checkpoint, data: { train: Dataset; test?: Dataset }): Trainer {
    const m = checkpoint.manifest;
    const found = fingerprintData(data.train, data.test);
    checkSameData(m.data, found, checkpoint.file);
    const trainer = new Trainer({ genotype: m.genotype, settings: m.settings, seed: m.seed, ...data });
    const spec = trainer.networkSpec();
    for (const key of Object.keys(spec) as Array<keyof NetworkSpec>) {
      if (spec[key] !== m.network[key])
        throw new ContractError(
          `network.${key}`,
          `is ${String(m.network[key])} in ${checkpoint.file}, ${String(spec[key])} here`,
        );
    }
    const state = new Map([...checkpointTensors(checkpoint, 'parameter'), ...checkpointTensors(checkpoint, 'buffer')]);
    const momentum = checkpointTensors(checkpoint, 'momentum');
    try {
      trainer.network.loadState(state);
      trainer.optimizer.loadBuffers(momentum);
    } catch (error) {
      trainer.dispose();
      throw error;
    } finally {
      tf.dispose([...state.values(), ...momentum.values()]);
    }
    const batches = trainer.batchesPerEpoch;
    const p = m.position;
    if (p.epoch > m.settings.epochs || p.batch > batches || p.step !== p.epoch * batches + p.batch) {
      trainer.dispose();
      throw new ContractError(
        'position',
        `epoch ${p.epoch}, batch ${p.batch}, step ${p.step} is not a position of this run`,
      );
    }
    trainer.#position = { ...p };
    trainer.#progress = { ...m.epochProgress };
    trainer.#history = m.history.map((h) => ({ ...h }));
    return trainer;
  }

  /** Reads a checkpoint file and restores a trainer from it. */
  static async resume(file: string, data: { train: Dataset; test?: Dataset }): Promise<Trainer> {
    return Trainer.fromCheckpoint(await readCheckpoint(file), data);
  }

  /** Batches per epoch (the last one may be smaller). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.train.size / this.settings.batchSize);
  }

  /** Next batch to train and steps done. */
  get position(): TrainPosition {
    return { ...this.#position };
  }

  /** Summaries of the finished epochs. */
  get history(): EpochSummary[] {
    return this.#history.map((h) => ({ ...h }));
  }

  /** Whether every epoch is done. */
  get finished(): boolean {
    return this.#position.epoch >= this.settings.epochs;
  }

  /** Geometry of the network, as checkpoints and exports record it. */
  networkSpec(): NetworkSpec {
    return {
      ...this.network.shape,
      auxiliary: this.network.auxiliaryHead !== undefined,
      imageHeight: this.train.height,
      imageWidth: this.train.width,
    };
  }

  /** Runs from the current position to the end (or until cancelled). */
  async run(options: RunOptions = {}): Promise<TrainResult> {
    const began = performance.now();
    const { signal, onEvent } = options;
    const emit = (event: TrainEvent): void => onEvent?.(event);
    const everySteps = options.checkpointEverySteps;
    if (everySteps !== undefined && !(Number.isSafeInteger(everySteps) && everySteps > 0))
      throw new ContractError('checkpointEverySteps', `must be a positive integer, got ${everySteps}`);
    const save = async (): Promise<void> => {
      if (!options.checkpointPath) return;
      const bytes = await this.saveCheckpoint(options.checkpointPath);
      emit({ type: 'checkpoint', path: options.checkpointPath, bytes, position: this.position });
    };
    const halt = async (status: 'cancelled' | 'stopped'): Promise<TrainResult> => {
      if (options.checkpointOnCancel ?? true) await save();
      return { status, position: this.position, history: this.history, seconds: elapsed(began) };
    };
    const maxSteps = options.maxSteps;
    if (maxSteps !== undefined && !(Number.isSafeInteger(maxSteps) && maxSteps >= 0))
      throw new ContractError('maxSteps', `must be a non-negative integer, got ${maxSteps}`);
    let stepsThisCall = 0;
    const schedule = scheduleOf(this.settings);
    const batches = this.batchesPerEpoch;
    const totalSteps = batches * this.settings.epochs;

    while (!this.finished) {
      const epoch = this.#position.epoch;
      const lr = learningRate(schedule, epoch);
      const dropPathProb = dropPathProbability(this.settings.dropPath, epoch, this.settings.epochs);
      const plan = new EpochPlan(this.train, {
        batchSize: this.settings.batchSize,
        seed: this.seed,
        epoch,
        augment: this.settings.augment,
      });
      while (this.#position.batch < batches) {
        if (signal?.aborted) return halt('cancelled');
        if (maxSteps !== undefined && stepsThisCall >= maxSteps) return halt('stopped');
        const b = this.#position.batch;
        const stepBegan = performance.now();
        const { x, y } = plan.tensors(b);
        let figures: StepFigures;
        try {
          figures = await this.#step(x, y, epoch, b, lr, dropPathProb);
        } finally {
          tf.dispose([x, y]);
        }
        const seconds = elapsed(stepBegan);
        const n = y.shape[0];
        const acc = this.#progress;
        acc.lossSum += figures.loss * n;
        acc.correct += figures.correct;
        acc.examples += n;
        acc.steps += 1;
        acc.seconds += seconds;
        this.#position = { epoch, batch: b + 1, step: this.#position.step + 1 };
        stepsThisCall += 1;
        emit({
          type: 'step',
          epoch,
          batch: b,
          batches,
          step: this.#position.step,
          totalSteps,
          loss: Number.isFinite(figures.loss) ? figures.loss : null,
          accuracy: figures.correct / n,
          lr,
          gradNorm: figures.gradNorm,
          epsilon: figures.epsilon,
          examples: n,
          seconds,
        });
        if (everySteps && this.#position.step % everySteps === 0) await save();
        // Let timers and I/O (heartbeats, a cancel message) run between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }

      const evalBegan = performance.now();
      const test = await this.#evaluate(epoch, emit, signal);
      if (test === 'cancelled') return halt('cancelled');
      const acc = this.#progress;
      const summary: EpochSummary = {
        epoch,
        epochs: this.settings.epochs,
        lr,
        dropPathProb,
        trainLoss: acc.examples > 0 && Number.isFinite(acc.lossSum) ? acc.lossSum / acc.examples : null,
        trainAccuracy: acc.examples > 0 ? acc.correct / acc.examples : 0,
        ...test,
        steps: acc.steps,
        examples: acc.examples,
        seconds: acc.seconds + elapsed(evalBegan),
      };
      this.#history.push(summary);
      this.#position = { epoch: epoch + 1, batch: 0, step: this.#position.step };
      this.#progress = emptyAccumulator();
      emit({ type: 'epoch', ...summary });
      await save();
    }
    return { status: 'completed', position: this.position, history: this.history, seconds: elapsed(began) };
  }

  /** One optimisation step; returns the batch's mean loss, correct count and gradient norm. */
  async #step(
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    epoch: number,
    batch: number,
    lr: number,
    dropPathProb: number,
  ): Promise<StepFigures> {
    const s = this.settings;
    const epsilon = trainingEpsilon(s, this.#position.step, this.batchesPerEpoch);
    const adversary =
      epsilon === s.epsilon ? s : { ...s, epsilon, attackStepSize: (s.attackStepSize * epsilon) / s.epsilon };
    const adversarial = await craftAdversarial(
      this.network,
      x,
      y,
      adversary,
      deriveSeedFromParts(this.seed, TRAIN_STREAMS.attack, epoch, batch),
    );
    const rng = new Rng(deriveSeedFromParts(this.seed, TRAIN_STREAMS.dropPath, epoch, batch));
    const ctx = { training: true, dropPathProb, random: () => rng.nextFloat() };
    try {
      const result = await optimizationStep({
        params: this.#params,
        optimizer: this.optimizer,
        lr,
        clip: s.gradientClip,
        labels: y,
        forward: () => objectiveLoss(this.network, x, y, adversarial, s, ctx),
      });
      return { ...result, epsilon };
    } finally {
      adversarial?.dispose();
    }
  }

  /** Test accuracy (clean, and under the monitoring PGD when configured) after an epoch. */
  async #evaluate(
    epoch: number,
    emit: (event: TrainEvent) => void,
    signal: AbortSignal | undefined,
  ): Promise<
    Pick<EpochSummary, 'testAccuracy' | 'testExamples' | 'testPgdAccuracy' | 'testPgdExamples'> | 'cancelled'
  > {
    const test = this.test;
    if (!test || test.size === 0)
      return { testAccuracy: null, testExamples: 0, testPgdAccuracy: null, testPgdExamples: 0 };
    const model = inferenceClassifier(this.network);
    const size = this.settings.evalBatchSize;
    let correct = 0;
    for (let start = 0; start < test.size; start += size) {
      if (signal?.aborted) return 'cancelled';
      const end = Math.min(test.size, start + size);
      const { x, y } = test.toTensors(start, end);
      const count = tf.tidy(() => correctCount(model(x), y));
      tf.dispose([x, y]);
      correct += (await count.data())[0]!;
      count.dispose();
      emit({ type: 'progress', phase: 'test', epoch, done: end, total: test.size });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const pgdExamples = Math.min(this.settings.monitorPgdExamples, test.size);
    let testPgdAccuracy: number | null = null;
    if (pgdExamples > 0) {
      const { x, y } = test.toTensors(0, pgdExamples);
      try {
        const report = await runSuite(model, x, y, {
          threat: this.settings.threatModel,
          attacks: [{ name: 'pgd', steps: this.settings.monitorPgdSteps, stepSize: this.settings.monitorPgdStepSize }],
          seed: deriveSeedFromParts(this.seed, TRAIN_STREAMS.monitor, epoch),
          batchSize: size,
          signal,
          onProgress: (done, total) => emit({ type: 'progress', phase: 'attack', epoch, done, total }),
        });
        testPgdAccuracy = report.robustAccuracy;
      } catch (error) {
        if (signal?.aborted) return 'cancelled';
        throw error;
      } finally {
        tf.dispose([x, y]);
      }
    }
    return {
      testAccuracy: correct / test.size,
      testExamples: test.size,
      testPgdAccuracy,
      testPgdExamples: pgdExamples,
    };
  }

  /** The checkpoint's JSON part for the current state. */
  checkpointState(): TrainCheckpointState {
    return {
      genotype: this.genotype,
      network: this.networkSpec(),
      settings: this.settings,
      seed: this.seed,
      data: this.data,
      position: this.position,
      epochProgress: { ...this.#progress },
      history: this.history,
      schedule: {
        ...scheduleOf(this.settings),
        currentLr: learningRate(scheduleOf(this.settings), this.#position.epoch),
      },
      random: { scheme: 'derived-v1', seed: this.seed },
    };
  }

  /** Writes the full state to `file` atomically; returns the bytes written. */
  async saveCheckpoint(file: string): Promise<number> {
    return writeCheckpoint(file, this.checkpointState(), {
      parameter: this.network.namedParameters(),
      buffer: this.network.namedBuffers(),
      momentum: this.optimizer.namedBuffers(),
    });
  }

  /** Frees the network's and the optimiser's tensors. */
  dispose(): void {
    this.optimizer.dispose();
    this.network.dispose();
  }
}

function elapsed(since: number): number {
  return (performance.now() - since) / 1000;
}
