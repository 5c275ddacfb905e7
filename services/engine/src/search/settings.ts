import {
  ContractError,
  formatPath,
  PRESET_BUDGETS,
  SEARCH_PRESETS,
  searchConfigSchema,
  selectionConfigSchema,
  type DatasetName,
  type SearchPresetName,
} from '@lrnas/schema';
import { defaultEpsilon, resolveTrainSettings, type TrainSettings } from '../train/settings.js';
import type { ContributionMode } from './contribution.js';
import type { BnStatistics } from './scorer.js';

/** Search presets (defined by the contract): `tiny` finishes in minutes on two CPU cores (MNIST); `paper` has the paper's settings. */
export { SEARCH_PRESETS };
export type SearchPreset = SearchPresetName;

/** Every search setting, defaults filled in (lrnas-method.md sections 2 to 5); stored in checkpoints. */
export interface SearchSettings {
  preset: SearchPreset;
  channels: number;
  layers: number;
  epochs: number;
  /** Epochs of weight training before contribution estimation starts (0: the "no warm-up" ablation). */
  warmupEpochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  weightDecay: number;
  gradientClip: number;
  partialChannels: number;
  permutations: number;
  /** Valid images per permutation (each also attacked with FGSM). */
  estimateBatchSize: number;
  estimationMode: ContributionMode;
  fgsmEpsilon: number;
  /** Use at most this many training images (a seeded subset, split in halves); null: all. */
  trainLimit: number | null;
  /** Valid images whose clean accuracy is reported after every epoch (0: none). */
  validExamples: number;
  /** Masks evaluated in one batched pass during estimation. */
  scoringGroups: number;
  /** BN statistics when masks are measured (see SupernetScorer): 'batch' or 'running'. */
  scoringStatistics: BnStatistics;
  /**
   * Forward and backward passes (weight training, FGSM of the estimation) on parts of at most this many images,
   * gradients summed; null: whole batches. The wasm backend's heap ends at 4 GB and the paper's supernet needs
   * about 3 GB at 64 images, so the paper preset trains its batches of 128 in parts of 32.
   */
  microBatch: number | null;
}

/** How the genotype is selected from the architecture weights (section 6). */
export interface SelectionSettings {
  budget: number;
  mode: 'strict' | 'reference' | 'no-greedy';
  /** Evaluation-network size at which parameters are counted. */
  channels: number;
  layers: number;
}

type PresetValues = Omit<SearchSettings, 'preset' | 'fgsmEpsilon'>;

const PRESETS: Record<SearchPreset, PresetValues> = {
  // Same shape as the benchmark's "tiny preset" (C=8, 5 layers, k=4, batch 64), on a 1,000-image subset of
  // MNIST with 2 epochs, 1 of warm-up and one permutation of 32 valid images: about five minutes on two cores.
  tiny: {
    channels: 8,
    layers: 5,
    epochs: 2,
    warmupEpochs: 1,
    batchSize: 64,
    learningRate: 0.1,
    momentum: 0.9,
    weightDecay: 3e-4,
    gradientClip: 5,
    partialChannels: 4,
    permutations: 1,
    estimateBatchSize: 32,
    estimationMode: 'shapley',
    trainLimit: 1000,
    validExamples: 200,
    scoringGroups: 8,
    scoringStatistics: 'batch',
    microBatch: null,
  },
  // lrnas-method.md sections 2 and 4: C=16, 8 layers, batch 128, 50 epochs, 15 of warm-up, 10 permutations of 64.
  paper: {
    channels: 16,
    layers: 8,
    epochs: 50,
    warmupEpochs: 15,
    batchSize: 128,
    learningRate: 0.1,
    momentum: 0.9,
    weightDecay: 3e-4,
    gradientClip: 5,
    partialChannels: 4,
    permutations: 10,
    estimateBatchSize: 64,
    estimationMode: 'shapley',
    trainLimit: null,
    validExamples: 1000,
    scoringGroups: 2,
    scoringStatistics: 'batch',
    microBatch: 32,
  },
};

/** Evaluation-network size and budget of the presets' selection: the paper's 2.0 M at C=36, L=20. */
const SELECTION_PRESETS: Record<SearchPreset, Omit<SelectionSettings, 'mode'>> = {
  tiny: { budget: PRESET_BUDGETS.tiny, channels: 8, layers: 5 },
  paper: { budget: PRESET_BUDGETS.paper, channels: 36, layers: 20 },
};

/** Settings the job config (`@lrnas/schema`'s SearchConfig) does not carry. */
export interface SearchExtras {
  trainLimit?: number | null;
  validExamples?: number;
  scoringGroups?: number;
  scoringStatistics?: BnStatistics;
  microBatch?: number | null;
}

function parseWith<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  value: unknown,
  prefix: string,
): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ContractError([prefix, formatPath(issue.path)].filter(Boolean).join('.'), issue.message);
  }
  return parsed.data;
}

/**
 * Validates a job's SearchConfig (as `@lrnas/schema` defines it) plus extras and fills in the
 * preset's values. Throws a ContractError naming the offending field.
 */
export function resolveSearchSettings(
  config: unknown,
  dataset: DatasetName,
  extras: SearchExtras = {},
): SearchSettings {
  const c = parseWith(searchConfigSchema, config, 'search');
  const base = PRESETS[c.preset];
  const defined = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
  const settings: SearchSettings = {
    ...base,
    fgsmEpsilon: defaultEpsilon(dataset),
    ...defined,
    preset: c.preset,
    ...Object.fromEntries(Object.entries(extras).filter(([, v]) => v !== undefined)),
  };
  return validateSearchSettings(settings);
}

/** Checks resolved settings (e.g. read back from a checkpoint); throws a ContractError naming the field. */
export function validateSearchSettings(s: SearchSettings): SearchSettings {
  const int = (field: keyof SearchSettings, min: number): void => {
    const value = s[field];
    if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min))
      throw new ContractError(`search.${field}`, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  };
  (
    [
      'channels',
      'layers',
      'epochs',
      'batchSize',
      'partialChannels',
      'permutations',
      'estimateBatchSize',
      'scoringGroups',
    ] as const
  ).forEach((f) => int(f, 1));
  (['warmupEpochs', 'validExamples'] as const).forEach((f) => int(f, 0));
  if (s.trainLimit !== null) int('trainLimit', 4);
  if (s.microBatch !== null) int('microBatch', 2);
  if (s.warmupEpochs >= s.epochs)
    throw new ContractError(
      'search.warmupEpochs',
      `must be below epochs (${s.epochs}) so that contributions are estimated at least once, got ${s.warmupEpochs}`,
    );
  if (s.channels % s.partialChannels !== 0)
    throw new ContractError('search.partialChannels', `must divide channels (${s.channels}), got ${s.partialChannels}`);
  for (const [field, lo, hi] of [
    ['learningRate', 0, 10],
    ['momentum', 0, 0.999999],
    ['weightDecay', 0, 1],
    ['gradientClip', 0, 1000],
    ['fgsmEpsilon', 0, 1],
  ] as const) {
    const value = s[field];
    if (!(Number.isFinite(value) && value >= lo && value <= hi))
      throw new ContractError(`search.${field}`, `must be a number in [${lo}, ${hi}], got ${JSON.stringify(value)}`);
  }
  if (s.estimationMode !== 'reference' && s.estimationMode !== 'shapley')
    throw new ContractError(
      'search.estimationMode',
      `must be "reference" or "shapley", got ${JSON.stringify(s.estimationMode)}`,
    );
  if (s.scoringStatistics !== 'batch' && s.scoringStatistics !== 'running')
    throw new ContractError(
      'search.scoringStatistics',
      `must be "batch" or "running", got ${JSON.stringify(s.scoringStatistics)}`,
    );
  if (!SEARCH_PRESETS.includes(s.preset))
    throw new ContractError(
      'search.preset',
      `must be one of ${SEARCH_PRESETS.join(', ')}, got ${JSON.stringify(s.preset)}`,
    );
  return s;
}

/** Validates a job's SelectionConfig and fills in the preset's evaluation size and budget. */
export function resolveSelectionSettings(config: unknown, preset: SearchPreset): SelectionSettings {
  const defaults = SELECTION_PRESETS[preset];
  const raw = config === undefined || config === null ? { budget: defaults.budget } : config;
  const c = parseWith(selectionConfigSchema, raw, 'selection');
  return {
    budget: c.budget,
    mode: c.mode,
    channels: c.channels ?? defaults.channels,
    layers: c.layers ?? defaults.layers,
  };
}

/**
 * Retraining and evaluation of the tiny preset's pipeline: at the size the budget was counted at, 2 epochs of
 * batch 64 with the adversary's radius grown over the first epoch (a tiny network trained against the full radius
 * from its first step stays at chance), and 500 test images evaluated. The CLI and the worker both use these.
 */
export const TINY_PIPELINE = { trainEpochs: 2, trainBatchSize: 64, epsilonWarmupEpochs: 1, evalExamples: 500 } as const;

/**
 * The retraining settings of a pipeline: `config` (a TrainConfig; its set fields win) over the preset's defaults —
 * the tiny preset's above, the paper's retraining (C=36, L=20, 110 epochs) otherwise. Throws a ContractError naming
 * the offending field.
 */
export function resolvePipelineTraining(
  config: Record<string, unknown>,
  dataset: DatasetName,
  search: SearchSettings,
  selection: SelectionSettings,
): TrainSettings {
  if (search.preset !== 'tiny') return resolveTrainSettings(config, dataset);
  const defaults = {
    channels: selection.channels,
    layers: selection.layers,
    epochs: TINY_PIPELINE.trainEpochs,
    batchSize: TINY_PIPELINE.trainBatchSize,
  };
  const defined = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  return resolveTrainSettings({ ...defaults, ...defined }, dataset, {
    epsilonWarmupEpochs: TINY_PIPELINE.epsilonWarmupEpochs,
  });
}
