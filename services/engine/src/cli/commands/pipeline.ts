import fs from 'node:fs';
import { ATTACK_SUITES, ATTACKS, type ThreatModel } from '@lrnas/schema';
import path from 'node:path';
import { resolveThreadCount } from '../../parallel/pool.js';
import { initBackend } from '../../backend.js';
import { loadDataset } from '../../data/load.js';
import { JOB_FILES } from '../../jobs/files.js';
import { runPipeline } from '../../jobs/pipeline.js';
import { pipelineEvalExamples, pipelineTestLimit } from '../../jobs/plan.js';
import type { JobEvent } from '../../jobs/stages.js';
import { parseAttackSelection, type EvaluateSettings } from '../../evaluate/evaluate-model.js';
import { TRAIN_METHODS } from '../../train/objectives.js';
import type { TrainSettings } from '../../train/settings.js';
import { resolvePipelineTraining } from '../../search/settings.js';
import type { TrainEvent } from '../../train/trainer.js';
import { checkpointOnInterrupt, defineCommand, UsageError, type CliIo, type FlagSpec } from '../command.js';
import { ProgressBar } from '../progress.js';
import { HUB_FLAGS, hubRunId, openHubReport } from '../hub-report.js';
import {
  checkBudget,
  genotypeHash,
  SEARCH_FLAGS,
  searchSettingsFromFlags,
  barStream,
  SearchProgress,
  usageFromEngine,
} from '../search-flags.js';
import { optionalNumber } from './train.js';

const PIPELINE_FLAGS = {
  ...SEARCH_FLAGS,
  'train-method': {
    kind: 'string',
    value: TRAIN_METHODS.join('|'),
    default: 'madry',
    description: 'Retraining objective',
  },
  'train-epochs': { kind: 'int', description: 'Retraining epochs (tiny 2, paper 110)' },
  'train-batch-size': { kind: 'int', description: 'Retraining batch size (default 64)' },
  'train-lr': { kind: 'string', value: 'X', description: 'Retraining initial learning rate (default 0.1)' },
  eps: {
    kind: 'string',
    value: 'X',
    description: 'L-inf radius of retraining and evaluation, e.g. 0.3 or 8/255 (default by data set)',
  },
  attacks: {
    kind: 'string',
    value: 'LIST',
    default: 'fgsm,pgd:20',
    description:
      `Evaluation attacks, comma-separated, name[:steps] (${ATTACKS.join(', ')}), ` +
      `or a suite run AutoAttack-style (${Object.keys(ATTACK_SUITES).join(', ')})`,
  },
  'eval-examples': { kind: 'int', description: 'Test images evaluated (tiny 500, paper all)' },
  ...HUB_FLAGS,
} satisfies Record<string, FlagSpec>;

export default defineCommand({
  name: 'pipeline',
  summary: 'Search, select, adversarially retrain and attack: the whole LRNAS pipeline in one folder',
  description: [
    'Runs the whole method (lrnas-method.md sections 2 to 7): the search of `lrnas search` (same flags),',
    'greedy selection under --budget, adversarial retraining of the selected network, and evaluation under',
    'an attack suite. Every stage is checkpointed in --out; running the same command again resumes.',
    'Tiny preset (the default), a few minutes on two cores: retraining at the selection size (C=8, L=5, or',
    '--eval-channels/--eval-layers) for 2 epochs of batch 64 on the search training subset (1,000 images,',
    'or --train-limit), test accuracy each epoch and the evaluation on 500 test images (--eval-examples).',
    "Paper preset: the paper's retraining (C=36, L=20, 110 epochs, batch 64, full data) and evaluation on",
    'the whole test set. Retraining is Madry PGD-7 by default (--train-method), epsilon 0.3 on MNIST-scale',
    'data and 8/255 otherwise (--eps; the tiny preset grows it over the first epoch). Stage lines and progress bars go to stderr; the last line of stdout',
    'is {"genotype": ..., "params": N, "cleanAccuracy": X, "robustAccuracy": X, "report": FILE}.',
  ].join('\n'),
  flags: PIPELINE_FLAGS,
  async run(flags, io) {
    const resolved = searchSettingsFromFlags(flags);
    const { dataset, search, selection } = resolved;
    const method = flags['train-method'];
    if (!(TRAIN_METHODS as readonly string[]).includes(method))
      throw new UsageError(`--train-method must be one of ${TRAIN_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
    const eps = optionalNumber(flags.eps, 'eps', { min: 0, max: 1, exclusiveMin: true });
    const trainConfig: Record<string, unknown> = {
      method,
      threatModel: eps === undefined ? undefined : { norm: 'linf', epsilon: eps },
      epochs: flags['train-epochs'],
      batchSize: flags['train-batch-size'],
      learningRate: optionalNumber(flags['train-lr'], 'train-lr', { min: 0, max: 10, exclusiveMin: true }),
    };
    for (const key of Object.keys(trainConfig)) if (trainConfig[key] === undefined) delete trainConfig[key];
    let training: TrainSettings;
    let attacks: EvaluateSettings['attacks'];
    let cascade: boolean;
    try {
      training = resolvePipelineTraining(trainConfig, dataset, search, selection);
    } catch (error) {
      throw usageFromEngine(error, {
        epochs: '--train-epochs',
        batchSize: '--train-batch-size',
        learningRate: '--train-lr',
        'threatModel.epsilon': '--eps',
      });
    }
    try {
      ({ attacks, cascade } = parseAttackSelection(flags.attacks));
    } catch (error) {
      throw usageFromEngine(error, { attacks: '--attacks' });
    }
    const examples = pipelineEvalExamples(resolved.preset, flags['eval-examples']);
    const evaluate: EvaluateSettings = { threatModel: { ...training.threatModel }, attacks, examples, cascade };

    const out = path.resolve(flags.out);
    const resuming = fs.existsSync(path.join(out, JOB_FILES.state));
    const backend = await initBackend();
    let data: Awaited<ReturnType<typeof loadDataset>>;
    try {
      // The tiny pipeline retrains on the search's subset and tests on the evaluated images only.
      data = await loadDataset({
        name: dataset,
        dataDir: flags['data-dir'],
        seed: flags.seed,
        trainLimit: search.trainLimit ?? undefined,
        testLimit: pipelineTestLimit(resolved.preset, examples),
      });
    } catch (error) {
      throw usageFromEngine(error);
    }
    checkBudget(selection, data.train.classes, data.train.channels);
    io.stderr(
      `lrnas pipeline: backend ${backend.name} (${backend.device}); ${search.preset} preset on ${dataset} ` +
        `(${data.train.size} train, ${data.test.size} test images); search C=${search.channels}, L=${search.layers}, ` +
        `${search.epochs} epochs; budget ${selection.budget.toLocaleString('en-US')} at C=${selection.channels}, ` +
        `L=${selection.layers}; ${training.method} retraining at C=${training.channels}, L=${training.layers}, ` +
        `${training.epochs} epochs, eps ${Number(training.epsilon.toPrecision(4))}; attacks ${flags.attacks} ` +
        `on ${examples ?? data.test.size} images\n`,
    );
    if (resuming) io.stderr(`lrnas pipeline: resuming the pipeline in ${out}\n`);

    const hub = await openHubReport(flags, io, {
      kind: 'PIPELINE',
      runId: hubRunId(out),
      name: `lrnas pipeline ${path.basename(out)}`,
      seed: flags.seed,
      config: { dataset, search, selection, training, evaluate },
      network: {
        channels: selection.channels,
        layers: selection.layers,
        classes: data.train.classes,
        inputChannels: data.train.channels,
        imageSize: data.train.height,
      },
      attacks,
      threatModel: evaluate.threatModel as ThreatModel,
      backend: backend.name,
    });
    const interrupt = checkpointOnInterrupt(io, 'lrnas pipeline');
    const progress = new PipelineProgress(io, training.epochs);
    let result: Awaited<ReturnType<typeof runPipeline>>;
    try {
      result = await runPipeline(
        { dataset, seed: flags.seed, search, selection, training, evaluate, ...data, outDir: out },
        {
          signal: interrupt.signal,
          onEvent: (event) => {
            progress.on(event);
            hub?.on(event);
          },
          threads: resolveThreadCount(flags.threads),
        },
      );
    } catch (error) {
      await hub?.end('FAILED', out, (error as Error).message);
      throw usageFromEngine(error);
    } finally {
      progress.close();
      interrupt.dispose();
    }
    await hub?.end(result.status === 'cancelled' || !result.report ? 'CANCELLED' : 'SUCCEEDED', out);
    const report = path.join(out, JOB_FILES.report);
    if (result.status === 'cancelled' || !result.report) {
      io.stderr(
        `lrnas pipeline: stopped in the ${result.stage} stage; its checkpoint is in ${out}. ` +
          'Run the same command again to resume.\n',
      );
      io.stdout(`${JSON.stringify({ status: 'cancelled', stage: result.stage, out })}\n`);
      return 130;
    }
    const r = result.report;
    io.stderr(
      `lrnas pipeline: clean accuracy ${(100 * r.cleanAccuracy).toFixed(2)}%, robust accuracy ` +
        `${(100 * r.robustAccuracy).toFixed(2)}%; report ${report}\n`,
    );
    io.stdout(
      `${JSON.stringify({
        genotype: r.genotype,
        params: r.params,
        cleanAccuracy: r.cleanAccuracy,
        robustAccuracy: r.robustAccuracy,
        report,
      })}\n`,
    );
    return 0;
  },
});

/** Stage lines and a progress bar per stage (search steps and estimation, training epochs, evaluation). */
class PipelineProgress {
  readonly #search: SearchProgress;
  #bar: ProgressBar | undefined;
  #phase = '';

  constructor(
    private readonly io: CliIo,
    private readonly trainEpochs: number,
  ) {
    this.#search = new SearchProgress(io, 'lrnas pipeline: search');
  }

  on(event: JobEvent): void {
    switch (event.type) {
      case 'stage':
        this.close();
        this.io.stderr(`lrnas pipeline: stage ${event.stage} ${event.status}\n`);
        break;
      case 'search':
        this.#search.on(event.event);
        break;
      case 'selection':
        this.io.stderr(
          `lrnas pipeline: selected genotype ${genotypeHash(event.genotype)}, ` +
            `${event.params.toLocaleString('en-US')} parameters (budget ${event.budget.toLocaleString('en-US')}, ${event.mode})\n`,
        );
        break;
      case 'train':
        this.#train(event.event);
        break;
      case 'evaluate-progress':
        this.#update(
          'evaluate',
          () => new ProgressBar({ label: 'evaluate', total: event.total, unit: 'img', stream: barStream(this.io) }),
        );
        this.#bar?.update(event.done);
        break;
      case 'evaluation': {
        this.close();
        const attacks = event.report.attacks.map((a) => `${a.name} ${(100 * a.robustAccuracy).toFixed(2)}%`);
        this.io.stderr(
          `lrnas pipeline: evaluation: clean ${(100 * event.report.cleanAccuracy).toFixed(2)}%, ` +
            `${attacks.join(', ')}, robust ${(100 * event.report.robustAccuracy).toFixed(2)}%\n`,
        );
        break;
      }
    }
  }

  #train(event: TrainEvent): void {
    switch (event.type) {
      case 'step': {
        this.#update(
          `train ${event.epoch}`,
          () =>
            new ProgressBar({
              label: `train epoch ${event.epoch + 1}`,
              total: event.batches,
              unit: 'step',
              stream: barStream(this.io),
            }),
        );
        const loss = event.loss === null ? 'nan' : event.loss.toFixed(4);
        this.#bar?.update(event.batch + 1, `loss ${loss} acc ${event.accuracy.toFixed(3)}`);
        break;
      }
      case 'progress':
        this.#update(
          `${event.phase} ${event.epoch}`,
          () =>
            new ProgressBar({
              label: `train epoch ${event.epoch + 1} ${event.phase}`,
              total: event.total,
              unit: 'img',
            }),
        );
        this.#bar?.update(event.done);
        break;
      case 'epoch': {
        this.close();
        const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(2)}%`);
        this.io.stderr(
          `lrnas pipeline: train epoch ${event.epoch + 1}/${this.trainEpochs}: ` +
            `train loss ${event.trainLoss === null ? 'nan' : event.trainLoss.toFixed(4)}, ` +
            `train acc ${pct(event.trainAccuracy)}, test acc ${pct(event.testAccuracy)}, ${event.seconds.toFixed(1)} s\n`,
        );
        break;
      }
      case 'checkpoint':
        break;
    }
  }

  /** Starts a new bar when the phase changes. */
  #update(phase: string, make: () => ProgressBar): void {
    if (this.#phase === phase && this.#bar) return;
    this.close();
    this.#phase = phase;
    this.#bar = make();
  }

  close(): void {
    this.#search.close();
    this.#bar?.finish();
    this.#bar = undefined;
    this.#phase = '';
  }
}
