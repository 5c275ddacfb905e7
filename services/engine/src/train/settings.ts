import { ContractError, formatPath, trainConfigSchema, type DatasetName, type TrainConfig } from '@lrnas/schema';
import { TRAIN_METHODS, type ObjectiveSettings, type TrainMethod } from './objectives.js';
import { defaultMilestones, type LrSchedule } from '../optim/schedule.js';

/** Training settings the job config (`@lrnas/schema`'s TrainConfig) does not carry. */
export interface TrainExtras {
  /** Clip gradients to this global L2 norm; null disables clipping. Default 5 (the released LRNAS code). */
  gradientClip?: number | null;
  /** Factor of the step schedule at each milestone. Default 0.1. */
  gamma?: number;
  /** Test examples attacked with PGD after every epoch; 0 (default) skips the robust figure. */
  monitorPgdExamples?: number;
  /** Steps of that PGD (default 20); its step size is 2.5 * epsilon / steps. */
  monitorPgdSteps?: number;
  /** Examples per forward pass when measuring test accuracy (default 256). */
  evalBatchSize?: number;
  /**
   * Grow the training adversary's epsilon (and step size) linearly over this many epochs, step by
   * step, from epsilon / steps-of-the-ramp to the full value (default 0: full strength at once).
   * Small networks at MNIST's 0.3 otherwise sit at chance for a long time.
   */
  epsilonWarmupEpochs?: number;
}

/** Every training setting, defaults filled in; stored in checkpoints and exported models. */
export interface TrainSettings extends ObjectiveSettings {
  method: TrainMethod;
  threatModel: { norm: 'linf'; epsilon: number };
  channels: number;
  layers: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  schedule: 'cosine' | 'step';
  milestones: number[];
  gamma: number;
  gradientClip: number | null;
  /** Largest drop-path probability, reached at the last epoch (DARTS's linear ramp). */
  dropPath: number;
  /** Random crop (pad 4) and, where the data set allows, horizontal flip. */
  augment: boolean;
  epsilonWarmupEpochs: number;
  monitorPgdExamples: number;
  monitorPgdSteps: number;
  monitorPgdStepSize: number;
  evalBatchSize: number;
}

/** The usual L-inf radius of a data set: 0.3 for the MNIST-scale sets, 8/255 for the others (section 7). */
export function defaultEpsilon(dataset: DatasetName): number {
  return dataset === 'mnist' || dataset === 'fashion-mnist' ? 0.3 : 8 / 255;
}

/**
 * Default PGD step: the paper's 0.01 for its own setting (epsilon 8/255, 7 steps), otherwise Madry
 * et al.'s rule 2.5 * epsilon / steps (0.011 there, so both agree in spirit).
 */
export function defaultAttackStepSize(epsilon: number, steps: number): number {
  return Math.abs(epsilon - 8 / 255) < 1e-9 && steps === 7 ? 0.01 : (2.5 * epsilon) / steps;
}

/**
 * Validates a job's TrainConfig (as `@lrnas/schema` defines it) plus extras and fills in the paper's
 * retraining defaults (lrnas-method.md section 7): C=36, L=20, 110 epochs, batch 64, SGD lr 0.1,
 * momentum 0.9, weight decay 1e-4, x0.1 at epochs 99 and 104 (scaled to shorter runs), PGD-7,
 * TRADES beta 6, gradient clip 5, crop and flip for CIFAR and SVHN. Throws a ContractError naming
 * the offending field.
 */
export function resolveTrainSettings(config: unknown, dataset: DatasetName, extras: TrainExtras = {}): TrainSettings {
  const parsed = trainConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ContractError(formatPath(issue.path), issue.message);
  }
  const c: TrainConfig = parsed.data;
  const threat = c.threatModel ?? { norm: 'linf' as const, epsilon: defaultEpsilon(dataset) };
  if (threat.norm !== 'linf')
    throw new ContractError('threatModel.norm', `training supports only 'linf', got '${threat.norm}'`);
  const epochs = c.epochs ?? 110;
  const attackSteps = c.attackSteps ?? 7;
  const monitorPgdSteps = extras.monitorPgdSteps ?? 20;
  const settings: TrainSettings = {
    method: c.method,
    threatModel: { norm: 'linf', epsilon: threat.epsilon },
    epsilon: threat.epsilon,
    channels: c.channels ?? 36,
    layers: c.layers ?? 20,
    epochs,
    batchSize: c.batchSize ?? 64,
    learningRate: c.learningRate ?? 0.1,
    momentum: c.momentum ?? 0.9,
    weightDecay: c.weightDecay ?? 1e-4,
    schedule: c.schedule ?? 'step',
    milestones: c.milestones ?? defaultMilestones(epochs),
    gamma: extras.gamma ?? 0.1,
    gradientClip: extras.gradientClip === undefined ? 5 : extras.gradientClip,
    attackSteps,
    attackStepSize: c.attackStepSize ?? defaultAttackStepSize(threat.epsilon, attackSteps),
    tradesBeta: c.tradesBeta ?? 6,
    auxiliaryWeight: c.auxiliaryWeight ?? 0,
    dropPath: c.dropPath ?? 0,
    augment: c.augment ?? !(dataset === 'mnist' || dataset === 'fashion-mnist'),
    epsilonWarmupEpochs: extras.epsilonWarmupEpochs ?? 0,
    monitorPgdExamples: extras.monitorPgdExamples ?? 0,
    monitorPgdSteps,
    monitorPgdStepSize: (2.5 * threat.epsilon) / monitorPgdSteps,
    evalBatchSize: extras.evalBatchSize ?? 256,
  };
  return validateTrainSettings(settings);
}

/** Checks resolved settings (e.g. read back from a checkpoint); throws a ContractError naming the field. */
export function validateTrainSettings(s: TrainSettings): TrainSettings {
  const positiveInt = (value: number, field: string, min = 1): void => {
    if (!(Number.isSafeInteger(value) && value >= min))
      throw new ContractError(field, `must be an integer >= ${min}, got ${value}`);
  };
  const inRange = (value: number, field: string, lo: number, hi: number, openLo = false): void => {
    if (!(Number.isFinite(value) && (openLo ? value > lo : value >= lo) && value <= hi))
      throw new ContractError(field, `must be a number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${value}`);
  };
  if (!(TRAIN_METHODS as readonly string[]).includes(s.method))
    throw new ContractError('method', `must be one of ${TRAIN_METHODS.join(', ')}, got ${JSON.stringify(s.method)}`);
  inRange(s.epsilon, 'threatModel.epsilon', 0, 1, true);
  if (s.threatModel.epsilon !== s.epsilon) throw new ContractError('epsilon', 'differs from threatModel.epsilon');
  positiveInt(s.channels, 'channels');
  positiveInt(s.layers, 'layers');
  positiveInt(s.epochs, 'epochs');
  positiveInt(s.batchSize, 'batchSize');
  inRange(s.learningRate, 'learningRate', 0, 10, true);
  if (!(s.momentum >= 0 && s.momentum < 1)) throw new ContractError('momentum', `must be in [0, 1), got ${s.momentum}`);
  inRange(s.weightDecay, 'weightDecay', 0, 1);
  if (s.schedule !== 'cosine' && s.schedule !== 'step')
    throw new ContractError('schedule', `must be 'cosine' or 'step', got ${JSON.stringify(s.schedule)}`);
  s.milestones.forEach((m, i) => positiveInt(m, `milestones[${i}]`, 0));
  inRange(s.gamma, 'gamma', 0, 1, true);
  if (s.gradientClip !== null) inRange(s.gradientClip, 'gradientClip', 0, 1e6, true);
  positiveInt(s.attackSteps, 'attackSteps');
  inRange(s.attackStepSize, 'attackStepSize', 0, 1, true);
  inRange(s.tradesBeta, 'tradesBeta', 0, 100, true);
  inRange(s.auxiliaryWeight, 'auxiliaryWeight', 0, 10);
  if (!(s.dropPath >= 0 && s.dropPath < 1)) throw new ContractError('dropPath', `must be in [0, 1), got ${s.dropPath}`);
  inRange(s.epsilonWarmupEpochs, 'epsilonWarmupEpochs', 0, 1e6);
  positiveInt(s.monitorPgdExamples, 'monitorPgdExamples', 0);
  positiveInt(s.monitorPgdSteps, 'monitorPgdSteps');
  inRange(s.monitorPgdStepSize, 'monitorPgdStepSize', 0, 1, true);
  positiveInt(s.evalBatchSize, 'evalBatchSize');
  return s;
}

/**
 * The training adversary's epsilon at a step: the full value, or during the warm-up
 * `epsilon * (step + 1) / warmupSteps` with warmupSteps = epsilonWarmupEpochs * batchesPerEpoch.
 */
export function trainingEpsilon(s: TrainSettings, step: number, batchesPerEpoch: number): number {
  const warmupSteps = s.epsilonWarmupEpochs * batchesPerEpoch;
  return warmupSteps > 0 && step + 1 < warmupSteps ? (s.epsilon * (step + 1)) / warmupSteps : s.epsilon;
}

/** The learning-rate schedule the settings describe. */
export function scheduleOf(s: TrainSettings): LrSchedule {
  return s.schedule === 'cosine'
    ? { kind: 'cosine', baseLr: s.learningRate, epochs: s.epochs }
    : { kind: 'step', baseLr: s.learningRate, milestones: s.milestones, gamma: s.gamma };
}
