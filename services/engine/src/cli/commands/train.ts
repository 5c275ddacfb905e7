import path from 'node:path';
import { ContractError, DATASETS, LrnasError, type DatasetName, type TrainConfig } from '@lrnas/schema';
import { initBackend } from '../../backend.js';
import { DataError } from '../../data/errors.js';
import { loadDataset } from '../../data/load.js';
import { findTrainCheckpoint } from '../../jobs/files.js';
import { openTraining, runTrainStage, type OpenedTraining } from '../../jobs/stages.js';
import { differingKeys } from '../../settings-diff.js';
import { readCheckpoint, type Checkpoint } from '../../files/checkpoint.js';
import { ModelFileError } from '../../files/checked-files.js';
import { TRAIN_METHODS } from '../../train/objectives.js';
import { resolveTrainSettings, type TrainSettings } from '../../train/settings.js';
import type { TrainEvent } from '../../train/trainer.js';
import { checkpointOnInterrupt, defineCommand, UsageError, type CliIo, type FlagSpec, type Flags } from '../command.js';
import { readGenotypeFile } from '../genotype-file.js';
import { HUB_FLAGS, hubRunId, openHubReport } from '../hub-report.js';
import { ProgressBar } from '../progress.js';
import { barStream } from '../search-flags.js';

const TRAIN_FLAGS = {
  genotype: { kind: 'string', value: 'FILE', required: true, description: 'JSON file with a genotype' },
  name: { kind: 'string', value: 'NAME', description: 'Which genotype, when FILE holds several by name' },
  dataset: { kind: 'string', value: DATASETS.join('|'), required: true, description: 'Data set' },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    description: 'Folder of the CIFAR or SVHN files (default $LRNAS_DATA_DIR)',
  },
  method: { kind: 'string', value: TRAIN_METHODS.join('|'), default: 'madry', description: 'Training objective' },
  epochs: { kind: 'int', description: 'Epochs (default 110)' },
  'batch-size': { kind: 'int', description: 'Batch size (default 64)' },
  lr: { kind: 'string', value: 'X', description: 'Initial learning rate (default 0.1)' },
  schedule: { kind: 'string', value: 'step|cosine', description: 'Learning-rate schedule (default step)' },
  'weight-decay': { kind: 'string', value: 'X', description: 'Weight decay (default 1e-4)' },
  'grad-clip': { kind: 'string', value: 'X', description: 'Clip the gradient norm to X; 0 disables (default 5)' },
  channels: { kind: 'int', description: 'Initial channels C (default 36)' },
  layers: { kind: 'int', description: 'Cells L (default 20)' },
  eps: { kind: 'string', value: 'X', description: 'L-inf radius, e.g. 0.3 or 8/255 (default by data set)' },
  'attack-steps': { kind: 'int', description: 'Steps of the training adversary (default 7)' },
  'attack-step-size': { kind: 'string', value: 'X', description: 'Its step size (default 2.5 eps / steps)' },
  'trades-beta': { kind: 'string', value: 'X', description: 'TRADES beta (default 6)' },
  'drop-path': { kind: 'string', value: 'X', description: 'Final drop-path probability (default 0)' },
  'aux-weight': { kind: 'string', value: 'X', description: 'Auxiliary head loss weight; 0 = no head (default 0)' },
  'eps-warmup': {
    kind: 'string',
    value: 'EPOCHS',
    description: 'Grow the training epsilon linearly over this many epochs (default 0)',
  },
  'monitor-pgd': { kind: 'int', min: 0, default: 0, description: 'Test images attacked with PGD-20 after each epoch' },
  seed: { kind: 'int', min: 0, default: 0, description: 'Run seed' },
  'train-limit': { kind: 'int', description: 'Train on a seeded subset of N images' },
  'test-limit': { kind: 'int', description: 'Test on a seeded subset of N images' },
  out: { kind: 'string', value: 'DIR', required: true, description: 'Output folder (checkpoint and model)' },
  resume: { kind: 'boolean', description: 'Continue the run whose checkpoint is in --out' },
  'max-steps': {
    kind: 'int',
    description: 'Stop with a checkpoint after N steps of this invocation (status "stopped"); --resume continues',
  },
  ...HUB_FLAGS,
} satisfies Record<string, FlagSpec>;

const train = defineCommand({
  name: 'train',
  summary: 'Train an evaluation network of a genotype (standard, Madry PGD, TRADES or fast FGSM)',
  description: [
    'Trains the evaluation network of a genotype (lrnas-method.md section 7) on a data set. Unset settings',
    "take the paper's retraining values (C=36, L=20, 110 epochs, batch 64, SGD lr 0.1 with x0.1 at 90% and",
    '95% of the run, momentum 0.9, weight decay 1e-4, PGD-7, gradient clip 5); epsilon defaults to 0.3 on',
    'MNIST-scale data and 8/255 otherwise. Writes OUT/train.ckpt after every epoch (and on Ctrl-C),',
    'the trained model in the TF.js format (OUT/model.json, OUT/weights.bin) at the end, progress to',
    'stderr, and a JSON summary as the last line of stdout. Run the same command with --resume to',
    'continue an interrupted run exactly where it stopped (also from the OUT/checkpoint.lrnas that earlier',
    'versions wrote).',
  ].join('\n'),
  flags: TRAIN_FLAGS,
  async run(flags, io) {
    const dataset = parseDataset(flags.dataset);
    const config = trainConfigFromFlags(flags);
    const gradClip = optionalNumber(flags['grad-clip'], 'grad-clip', { min: 0 });
    const monitor = flags['monitor-pgd'];
    const warmup = optionalNumber(flags['eps-warmup'], 'eps-warmup', { min: 0, max: 1e6 });
    let settings: TrainSettings;
    try {
      settings = resolveTrainSettings(config, dataset, {
        gradientClip: gradClip === undefined ? undefined : gradClip === 0 ? null : gradClip,
        monitorPgdExamples: monitor,
        epsilonWarmupEpochs: warmup,
      });
    } catch (error) {
      throw usageFromContract(error);
    }
    const { genotype, label } = await readGenotypeFile(flags.genotype, flags.name);
    const out = path.resolve(flags.out);
    const found = await findTrainCheckpoint(out);
    if (found && !flags.resume)
      throw new UsageError(
        `--out ${flags.out} already holds a checkpoint; pass --resume to continue that run or choose another folder`,
      );
    let checkpoint: Checkpoint | undefined;
    if (flags.resume && found) {
      try {
        checkpoint = await readCheckpoint(found);
      } catch (error) {
        if (error instanceof ModelFileError) throw new UsageError(`cannot resume: ${error.message}`);
        throw error;
      }
      checkResumeMatches(checkpoint, settings, genotype, flags.seed, dataset);
    } else if (flags.resume) {
      io.stderr(`lrnas train: no checkpoint in ${flags.out} yet; starting a new run\n`);
    }

    const backend = await initBackend();
    io.stderr(`lrnas train: backend ${backend.name} (${backend.device}); genotype ${label}\n`);
    let data: Awaited<ReturnType<typeof loadDataset>>;
    try {
      data = await loadDataset({
        name: dataset,
        dataDir: flags['data-dir'],
        trainLimit: flags['train-limit'],
        testLimit: flags['test-limit'],
        seed: flags.seed,
      });
    } catch (error) {
      if (error instanceof DataError) throw new UsageError(error.message);
      throw error;
    }
    let opened: OpenedTraining;
    try {
      opened = await openTraining(out, data, { genotype, settings, seed: flags.seed }, checkpoint);
    } catch (error) {
      throw usageFromContract(error);
    }
    const { trainer } = opened;
    const p = trainer.position;
    io.stderr(
      `lrnas train: ${settings.method} on ${dataset} (${data.train.size} train, ${data.test.size} test images), ` +
        `C=${settings.channels}, L=${settings.layers}, ${trainer.network.parameterCount().toLocaleString('en-US')} parameters, ` +
        `${settings.epochs} epochs of ${trainer.batchesPerEpoch} batches` +
        (checkpoint ? `; resuming at epoch ${p.epoch}, batch ${p.batch}` : '') +
        '\n',
    );

    const hub = await openHubReport(flags, io, {
      kind: 'TRAIN',
      runId: hubRunId(out),
      name: `lrnas train ${path.basename(out)}`,
      seed: flags.seed,
      config: { dataset, genotype: label, training: settings },
      network: {
        channels: settings.channels,
        layers: settings.layers,
        classes: data.train.classes,
        inputChannels: data.train.channels,
        imageSize: data.train.height,
      },
      attacks: [],
      threatModel: settings.threatModel,
      backend: backend.name,
    });
    hub?.on({ type: 'architecture', genotype, params: trainer.network.parameterCount() });
    const interrupt = checkpointOnInterrupt(io, 'lrnas train');
    const progress = new TrainProgress(io, trainer.batchesPerEpoch);
    try {
      // `lrnas train` keeps its model at the top of --out (OUT/model.json), where `lrnas eval --model OUT` finds it.
      let result: Awaited<ReturnType<typeof runTrainStage>>;
      try {
        result = await runTrainStage(
          opened,
          data,
          {
            emit: (event) => {
              if (event.type === 'train') progress.on(event.event);
              hub?.on(event);
            },
            signal: interrupt.signal,
          },
          { maxSteps: flags['max-steps'], modelDir: out },
        );
      } catch (error) {
        await hub?.end('FAILED', out, (error as Error).message);
        throw error;
      }
      progress.close();
      await hub?.end(result.status === 'cancelled' ? 'CANCELLED' : 'SUCCEEDED', out);
      const last = result.history.at(-1);
      const summary: Record<string, unknown> = {
        status: result.status,
        out,
        checkpoint: opened.checkpoint,
        epochs: result.position.epoch,
        steps: result.position.step,
        parameters: trainer.network.parameterCount(),
        trainLoss: last?.trainLoss ?? null,
        trainAccuracy: last?.trainAccuracy ?? null,
        testAccuracy: last?.testAccuracy ?? null,
        testPgdAccuracy: last?.testPgdAccuracy ?? null,
        backend: backend.name,
        seconds: Number(result.seconds.toFixed(3)),
      };
      if (result.model) {
        summary.model = result.model;
        io.stderr(`lrnas train: model written to ${result.model}\n`);
      }
      io.stdout(`${JSON.stringify(summary)}\n`);
      return result.status === 'cancelled' ? 130 : 0;
    } finally {
      interrupt.dispose();
      trainer.dispose();
    }
  },
});

export default train;

/** Draws a bar per epoch and prints each epoch's summary to stderr. */
class TrainProgress {
  #bar: ProgressBar | undefined;
  #phase: 'train' | 'test' | 'attack' = 'train';

  constructor(
    private readonly io: CliIo,
    private readonly batches: number,
  ) {}

  on(event: TrainEvent): void {
    switch (event.type) {
      case 'step': {
        if (!this.#bar || this.#phase !== 'train') {
          this.close();
          this.#phase = 'train';
          this.#bar = new ProgressBar({
            label: `epoch ${event.epoch + 1}`,
            total: this.batches,
            unit: 'step',
            stream: barStream(this.io),
          });
        }
        const note = `loss ${event.loss === null ? 'nan' : event.loss.toFixed(4)} acc ${event.accuracy.toFixed(3)}`;
        this.#bar.update(event.batch + 1, note);
        break;
      }
      case 'progress':
        if (this.#phase !== event.phase || !this.#bar) {
          this.close();
          this.#phase = event.phase;
          const label = event.phase === 'test' ? `epoch ${event.epoch + 1} test` : `epoch ${event.epoch + 1} pgd`;
          this.#bar = new ProgressBar({ label, total: event.total, unit: 'img' });
        }
        this.#bar.update(event.done);
        break;
      case 'epoch': {
        this.close();
        const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(2)}%`);
        this.io.stderr(
          `epoch ${event.epoch + 1}/${event.epochs}: lr ${Number(event.lr.toPrecision(3))}, ` +
            `train loss ${event.trainLoss === null ? 'nan' : event.trainLoss.toFixed(4)}, train acc ${pct(event.trainAccuracy)}, ` +
            `test acc ${pct(event.testAccuracy)}` +
            (event.testPgdExamples > 0 ? `, test PGD acc ${pct(event.testPgdAccuracy)}` : '') +
            `, ${event.seconds.toFixed(1)} s\n`,
        );
        break;
      }
      case 'checkpoint':
        break;
    }
  }

  close(): void {
    this.#bar?.finish();
    this.#bar = undefined;
  }
}

function parseDataset(value: string): DatasetName {
  if (!(DATASETS as readonly string[]).includes(value))
    throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as DatasetName;
}

/** A number flag (`0.1`, `1e-4`, or a fraction such as `8/255`), checked against bounds. */
export function optionalNumber(
  raw: string | undefined,
  flag: string,
  bounds: { min?: number; max?: number; exclusiveMin?: boolean } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  const fraction = /^([0-9.eE+-]+)\/([0-9.eE+-]+)$/.exec(text);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : text === '' ? Number.NaN : Number(text);
  const { min, max, exclusiveMin } = bounds;
  const low = min === undefined ? true : exclusiveMin ? value > min : value >= min;
  const high = max === undefined ? true : value <= max;
  if (!Number.isFinite(value) || !low || !high) {
    const range = [min === undefined ? '' : `${exclusiveMin ? '>' : '>='} ${min}`, max === undefined ? '' : `<= ${max}`]
      .filter(Boolean)
      .join(' and ');
    throw new UsageError(`--${flag} must be a number${range ? ` ${range}` : ''}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

type TrainFlags = Flags<typeof TRAIN_FLAGS>;

/** The TrainConfig the flags describe (only the flags given). */
function trainConfigFromFlags(flags: TrainFlags): TrainConfig & Record<string, unknown> {
  const str = (key: keyof TrainFlags): string | undefined => flags[key] as string | undefined;
  const int = (key: keyof TrainFlags): number | undefined => flags[key] as number | undefined;
  const method = flags.method;
  if (!(TRAIN_METHODS as readonly string[]).includes(method))
    throw new UsageError(`--method must be one of ${TRAIN_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  const schedule = str('schedule');
  if (schedule !== undefined && schedule !== 'step' && schedule !== 'cosine')
    throw new UsageError(`--schedule must be step or cosine, got ${JSON.stringify(schedule)}`);
  const eps = optionalNumber(str('eps'), 'eps', { min: 0, max: 1, exclusiveMin: true });
  const config: Record<string, unknown> = {
    method,
    threatModel: eps === undefined ? undefined : { norm: 'linf', epsilon: eps },
    channels: int('channels'),
    layers: int('layers'),
    epochs: int('epochs'),
    batchSize: int('batch-size'),
    learningRate: optionalNumber(str('lr'), 'lr', { min: 0, max: 10, exclusiveMin: true }),
    weightDecay: optionalNumber(str('weight-decay'), 'weight-decay', { min: 0, max: 1 }),
    schedule,
    attackSteps: int('attack-steps'),
    attackStepSize: optionalNumber(str('attack-step-size'), 'attack-step-size', { min: 0, max: 1, exclusiveMin: true }),
    tradesBeta: optionalNumber(str('trades-beta'), 'trades-beta', { min: 0, max: 100, exclusiveMin: true }),
    dropPath: optionalNumber(str('drop-path'), 'drop-path', { min: 0, max: 0.99 }),
    auxiliaryWeight: optionalNumber(str('aux-weight'), 'aux-weight', { min: 0, max: 10 }),
  };
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  return config as TrainConfig & Record<string, unknown>;
}

/** Flags given on a resume must describe the stored run. */
function checkResumeMatches(
  checkpoint: Checkpoint,
  settings: TrainSettings,
  genotype: unknown,
  seed: number,
  dataset: DatasetName,
): void {
  const m = checkpoint.manifest;
  const differences = differingKeys(settings, m.settings).map(
    (key) => `${key} ${JSON.stringify(settings[key])} (stored: ${JSON.stringify(m.settings[key])})`,
  );
  if (seed !== m.seed) differences.push(`seed ${seed} (stored: ${m.seed})`);
  if (dataset !== m.data.name) differences.push(`dataset ${dataset} (stored: ${m.data.name})`);
  if (JSON.stringify(genotype) !== JSON.stringify(m.genotype))
    differences.push('genotype (differs from the stored one)');
  if (differences.length > 0)
    throw new UsageError(
      `cannot resume ${checkpoint.file}: the flags describe another run: ${differences.join('; ')}. ` +
        'Repeat the original command with --resume, or choose another --out',
    );
}

/** Contract and data errors from the engine are the user's input: exit code 2 with the message. */
function usageFromContract(error: unknown): unknown {
  if (error instanceof ContractError || error instanceof LrnasError || error instanceof DataError)
    return new UsageError(error.message);
  return error;
}
