import { createHash } from 'node:crypto';
import {
  ContractError,
  DATASETS,
  ESTIMATION_MODES,
  LrnasError,
  SELECTION_MODES,
  type DatasetName,
  type Genotype,
} from '@lrnas/schema';
import { DataError } from '../data/errors.js';
import type { NetworkShape } from '../nn/plan.js';
import type { SearchEvent } from '../search/search-run.js';
import { minimumParameters } from '../search/selection.js';
import {
  resolveSearchSettings,
  resolveSelectionSettings,
  SEARCH_PRESETS,
  type SearchPreset,
  type SearchSettings,
  type SelectionSettings,
} from '../search/settings.js';
import { UsageError, type CliIo, type FlagSpec, type Flags } from './command.js';
import { parseBudget } from './commands/select.js';
import { optionalNumber } from './commands/train.js';
import { ProgressBar, type ProgressStream } from './progress.js';

/** Flags shared by `lrnas search` and `lrnas pipeline`: the SearchConfig fields, selection and data. */
export const SEARCH_FLAGS = {
  preset: { kind: 'string', value: 'tiny|paper', default: 'tiny', description: 'Search preset' },
  dataset: { kind: 'string', value: DATASETS.join('|'), default: 'mnist', description: 'Data set' },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    description: 'Folder of the CIFAR or SVHN files (default $LRNAS_DATA_DIR)',
  },
  seed: { kind: 'int', min: 0, default: 0, description: 'Run seed' },
  threads: {
    kind: 'int',
    min: 1,
    description: 'Engine threads of the search, data-parallel (default $LRNAS_THREADS, else the cores)',
  },
  out: { kind: 'string', value: 'DIR', required: true, description: 'Output folder (checkpoints and results)' },
  channels: { kind: 'int', description: 'Supernet initial channels C (tiny 8, paper 16)' },
  layers: { kind: 'int', description: 'Supernet cells (tiny 5, paper 8)' },
  epochs: { kind: 'int', description: 'Search epochs (tiny 2, paper 50)' },
  'warmup-epochs': {
    kind: 'int',
    min: 0,
    description: 'Epochs of weight training before estimation; 0 = the no-warm-up ablation (tiny 1, paper 15)',
  },
  'batch-size': { kind: 'int', description: 'Weight-training batch size (tiny 64, paper 128)' },
  lr: { kind: 'string', value: 'X', description: 'Weight learning rate, cosine schedule (default 0.1)' },
  momentum: { kind: 'string', value: 'X', description: 'SGD momentum (default 0.9)' },
  'weight-decay': { kind: 'string', value: 'X', description: 'Weight decay (default 3e-4)' },
  'grad-clip': { kind: 'string', value: 'X', description: 'Gradient-norm clip (default 5)' },
  'partial-channels': { kind: 'int', description: 'Partial-channel factor k; must divide C (default 4)' },
  permutations: { kind: 'int', description: 'Permutations per estimation (tiny 1, paper 10)' },
  'estimate-batch-size': { kind: 'int', description: 'Valid images per permutation (tiny 32, paper 64)' },
  'estimation-mode': {
    kind: 'string',
    value: 'reference|shapley',
    description: 'Contribution estimation (default shapley)',
  },
  'fgsm-eps': {
    kind: 'string',
    value: 'X',
    description: 'FGSM radius of the estimation, e.g. 0.3 or 8/255 (default by data set)',
  },
  'train-limit': { kind: 'int', min: 4, description: 'Search on a seeded subset of N training images (tiny 1000)' },
  budget: {
    kind: 'string',
    value: 'PARAMS',
    description: 'Parameter budget of the selection, e.g. 60000 or 2.0M (tiny 60000, paper 2.0M)',
  },
  'selection-mode': {
    kind: 'string',
    value: SELECTION_MODES.join('|'),
    default: 'strict',
    description: 'Selection rule',
  },
  'eval-channels': { kind: 'int', description: 'C of the evaluation network the budget counts (tiny 8, paper 36)' },
  'eval-layers': { kind: 'int', description: 'L of the evaluation network the budget counts (tiny 5, paper 20)' },
} satisfies Record<string, FlagSpec>;

type SearchFlags = Flags<typeof SEARCH_FLAGS>;

/** Resolved search and selection settings of the flags. */
export interface SearchFlagSettings {
  dataset: DatasetName;
  preset: SearchPreset;
  search: SearchSettings;
  selection: SelectionSettings;
}

/** Validates the shared flags and resolves them into engine settings; throws UsageErrors naming the flag. */
export function searchSettingsFromFlags(flags: SearchFlags): SearchFlagSettings {
  const dataset = flags.dataset;
  if (!(DATASETS as readonly string[]).includes(dataset))
    throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${JSON.stringify(dataset)}`);
  const preset = flags.preset;
  if (!(SEARCH_PRESETS as readonly string[]).includes(preset))
    throw new UsageError(`--preset must be one of ${SEARCH_PRESETS.join(', ')}, got ${JSON.stringify(preset)}`);
  const mode = flags['estimation-mode'];
  if (mode !== undefined && !(ESTIMATION_MODES as readonly string[]).includes(mode))
    throw new UsageError(
      `--estimation-mode must be one of ${ESTIMATION_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  const selectionMode = flags['selection-mode'];
  if (!(SELECTION_MODES as readonly string[]).includes(selectionMode))
    throw new UsageError(
      `--selection-mode must be one of ${SELECTION_MODES.join(', ')}, got ${JSON.stringify(selectionMode)}`,
    );
  const config: Record<string, unknown> = {
    preset,
    channels: flags.channels,
    layers: flags.layers,
    epochs: flags.epochs,
    warmupEpochs: flags['warmup-epochs'],
    batchSize: flags['batch-size'],
    learningRate: optionalNumber(flags.lr, 'lr', { min: 0, max: 10, exclusiveMin: true }),
    momentum: optionalNumber(flags.momentum, 'momentum', { min: 0, max: 0.999999 }),
    weightDecay: optionalNumber(flags['weight-decay'], 'weight-decay', { min: 0, max: 1 }),
    gradientClip: optionalNumber(flags['grad-clip'], 'grad-clip', { min: 0, max: 1000, exclusiveMin: true }),
    partialChannels: flags['partial-channels'],
    permutations: flags.permutations,
    estimateBatchSize: flags['estimate-batch-size'],
    estimationMode: mode,
    fgsmEpsilon: optionalNumber(flags['fgsm-eps'], 'fgsm-eps', { min: 0, max: 1, exclusiveMin: true }),
  };
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  const selectionConfig: Record<string, unknown> = { mode: selectionMode };
  if (flags.budget !== undefined) selectionConfig.budget = parseBudget(flags.budget);
  if (flags['eval-channels'] !== undefined) selectionConfig.channels = flags['eval-channels'];
  if (flags['eval-layers'] !== undefined) selectionConfig.layers = flags['eval-layers'];
  try {
    const search = resolveSearchSettings(config, dataset as DatasetName, { trainLimit: flags['train-limit'] });
    // The preset's budget applies when --budget is not given (resolveSelectionSettings needs one).
    if (selectionConfig.budget === undefined)
      selectionConfig.budget = resolveSelectionSettings(undefined, search.preset).budget;
    const selection = resolveSelectionSettings(selectionConfig, search.preset);
    return { dataset: dataset as DatasetName, preset: search.preset, search, selection };
  } catch (error) {
    throw usageFromEngine(error, FIELD_FLAGS);
  }
}

/** Flag names of the engine's settings fields, so that contract errors name the flag the user typed. */
const FIELD_FLAGS: Record<string, string> = {
  'search.channels': '--channels',
  'search.layers': '--layers',
  'search.epochs': '--epochs',
  'search.warmupEpochs': '--warmup-epochs',
  'search.batchSize': '--batch-size',
  'search.learningRate': '--lr',
  'search.momentum': '--momentum',
  'search.weightDecay': '--weight-decay',
  'search.gradientClip': '--grad-clip',
  'search.partialChannels': '--partial-channels',
  'search.permutations': '--permutations',
  'search.estimateBatchSize': '--estimate-batch-size',
  'search.fgsmEpsilon': '--fgsm-eps',
  'search.trainLimit': '--train-limit',
  'selection.budget': '--budget',
  'selection.channels': '--eval-channels',
  'selection.layers': '--eval-layers',
};

/** Engine contract and data errors are the user's input: a UsageError (exit 2), naming the flag when known. */
export function usageFromEngine(error: unknown, fields: Record<string, string> = FIELD_FLAGS): unknown {
  if (error instanceof ContractError) {
    const flag = fields[error.field];
    return new UsageError(flag ? `${flag} (${error.field}): ${error.reason}` : error.message);
  }
  if (error instanceof LrnasError || error instanceof DataError) return new UsageError(error.message);
  return error;
}

/**
 * A budget below the smallest evaluation network can select nothing in strict mode: say so before searching.
 * Reference mode (the released code) then keeps the cheap ops only and overshoots; no-greedy ignores the budget.
 */
export function checkBudget(selection: SelectionSettings, classes: number, inputChannels: number): void {
  if (selection.mode !== 'strict') return;
  const shape: NetworkShape = { channels: selection.channels, layers: selection.layers, classes, inputChannels };
  const minimum = minimumParameters(shape);
  if (selection.budget < minimum)
    throw new UsageError(
      `--budget ${selection.budget} is below the smallest evaluation network at C=${shape.channels}, ` +
        `L=${shape.layers}, ${classes} classes (every op none): minimum ${minimum} parameters`,
    );
}

/** A short stable name of a genotype: the first 10 hex digits of its JSON's SHA-256. */
export function genotypeHash(genotype: Genotype): string {
  return createHash('sha256').update(JSON.stringify(genotype)).digest('hex').slice(0, 10);
}

const percent = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(2)}%`);

/** The command's stderr as a progress bar's stream (a terminal when the process's stderr is one). */
export function barStream(io: CliIo): ProgressStream {
  const terminal = io.terminal;
  return { write: (text: string) => io.stderr(text), isTTY: terminal?.isTTY ?? false, columns: terminal?.columns };
}

/** Turns search events into progress bars (training steps, estimation prefixes) and epoch lines on stderr. */
export class SearchProgress {
  #bar: ProgressBar | undefined;
  #phase: 'train' | 'estimate' | undefined;
  #params: number | undefined;

  constructor(
    private readonly io: CliIo,
    private readonly prefix: string,
  ) {}

  on(event: SearchEvent): void {
    switch (event.type) {
      case 'step': {
        if (this.#phase !== 'train' || !this.#bar) {
          this.close();
          this.#phase = 'train';
          this.#bar = new ProgressBar({
            label: `search epoch ${event.epoch + 1} train`,
            total: event.batches,
            unit: 'step',
            stream: barStream(this.io),
          });
        }
        const loss = event.loss === null ? 'nan' : event.loss.toFixed(4);
        this.#bar.update(event.batch + 1, `loss ${loss} acc ${event.accuracy.toFixed(3)}`);
        break;
      }
      case 'estimate-progress':
        if (this.#phase !== 'estimate' || !this.#bar) {
          this.close();
          this.#phase = 'estimate';
          this.#bar = new ProgressBar({
            label: `search epoch ${event.epoch + 1} estimate`,
            total: event.total,
            unit: 'prefix',
            stream: barStream(this.io),
          });
        }
        this.#bar.update(event.done);
        break;
      case 'contributions':
        this.close();
        break;
      case 'genotype':
        this.#params = event.params;
        break;
      case 'epoch':
        this.close();
        this.io.stderr(
          `${this.prefix}: epoch ${event.epoch + 1}/${event.epochs}: ` +
            `train loss ${event.trainLoss === null ? 'nan' : event.trainLoss.toFixed(4)}, ` +
            `train acc ${percent(event.trainAccuracy)}, valid acc ${percent(event.validAccuracy)}, ` +
            (event.estimated
              ? `supernet clean ${percent(event.scoringClean)} / FGSM ${percent(event.scoringAdversarial)}, `
              : 'warm-up, ') +
            `genotype ${genotypeHash(event.genotype)} (${(this.#params ?? event.params).toLocaleString('en-US')} params), ` +
            `${event.seconds.toFixed(1)} s\n`,
        );
        break;
      case 'checkpoint':
        break;
    }
  }

  close(): void {
    this.#bar?.finish();
    this.#bar = undefined;
    this.#phase = undefined;
  }
}
