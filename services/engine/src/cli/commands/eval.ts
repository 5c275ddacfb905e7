import path from 'node:path';
import { ATTACK_SUITES, ATTACKS, ContractError, DATASETS, type DatasetName } from '@lrnas/schema';
import { initBackend } from '../../backend.js';
import { DataError } from '../../data/errors.js';
import { loadDataset } from '../../data/load.js';
import { writeJson } from '../../jobs/files.js';
import { evaluateModel, parseAttackSelection } from '../../evaluate/evaluate-model.js';
import { loadExportedModel } from '../../files/model-export.js';
import { ModelFileError } from '../../files/checked-files.js';
import { defaultEpsilon } from '../../train/settings.js';
import { defineCommand, UsageError, type FlagSpec } from '../command.js';
import { ProgressBar } from '../progress.js';
import { HUB_FLAGS, hubRunId, openHubReport } from '../hub-report.js';
import { countParameters } from '../../nn/cost.js';
import { optionalNumber } from './train.js';

const EVAL_FLAGS = {
  model: { kind: 'string', value: 'DIR', required: true, description: 'Exported model folder (or its model.json)' },
  dataset: { kind: 'string', value: DATASETS.join('|'), required: true, description: 'Data set (its test split)' },
  'data-dir': {
    kind: 'string',
    value: 'DIR',
    description: 'Folder of the CIFAR or SVHN files (default $LRNAS_DATA_DIR)',
  },
  attacks: {
    kind: 'string',
    value: 'LIST',
    default: 'fgsm,pgd:20',
    description:
      `Attacks, name[:steps] separated by commas: ${ATTACKS.join(', ')} (square: steps = queries); ` +
      `or a suite, ${Object.keys(ATTACK_SUITES).join(', ')}, which runs AutoAttack-style`,
  },
  eps: {
    kind: 'string',
    value: 'X',
    description: 'L-inf radius, e.g. 0.3 or 8/255 (default 0.3 on MNIST-scale data, else 8/255)',
  },
  examples: { kind: 'int', default: 1000, description: 'Test images evaluated (a seeded subset)' },
  'batch-size': { kind: 'int', default: 256, description: 'Images attacked at once' },
  seed: { kind: 'int', min: 0, default: 0, description: 'Seed of the subset and of the attacks' },
  out: { kind: 'string', value: 'FILE', description: 'Also write the report to FILE' },
  ...HUB_FLAGS,
} satisfies Record<string, FlagSpec>;

export default defineCommand({
  name: 'eval',
  summary: 'Evaluate an exported model: clean accuracy and accuracy under attacks',
  description: [
    'Loads a model exported by `lrnas train` (TF.js format), takes a seeded subset of the test images and',
    'reports clean accuracy, accuracy under each attack and the worst case over all of them, with epsilon,',
    'norm, every attack setting as used, examples, seed, backend and engine version. Progress goes to',
    'stderr; the report JSON is the last line of stdout.',
  ].join('\n'),
  flags: EVAL_FLAGS,
  async run(flags, io) {
    if (!(DATASETS as readonly string[]).includes(flags.dataset))
      throw new UsageError(`--dataset must be one of ${DATASETS.join(', ')}, got ${JSON.stringify(flags.dataset)}`);
    const dataset = flags.dataset as DatasetName;
    let attacks;
    let cascade;
    try {
      ({ attacks, cascade } = parseAttackSelection(flags.attacks));
    } catch (error) {
      if (error instanceof ContractError) throw new UsageError(`--attacks: ${error.reason}`);
      throw error;
    }
    const epsilon = optionalNumber(flags.eps, 'eps', { min: 0, max: 1, exclusiveMin: true }) ?? defaultEpsilon(dataset);

    const backend = await initBackend();
    let loaded;
    try {
      loaded = await loadExportedModel(flags.model);
    } catch (error) {
      if (error instanceof ModelFileError) throw new UsageError(`--model: ${error.message}`);
      throw error;
    }
    const { network } = loaded;
    try {
      let test;
      try {
        ({ test } = await loadDataset({
          name: dataset,
          dataDir: flags['data-dir'],
          testLimit: flags.examples,
          // Only the test split is used; a one-image training subset keeps memory small.
          trainLimit: 1,
          seed: flags.seed,
        }));
      } catch (error) {
        if (error instanceof DataError) throw new UsageError(error.message);
        throw error;
      }
      if (test.channels !== network.shape.inputChannels || test.classes !== network.shape.classes)
        throw new UsageError(
          `--model takes ${network.shape.inputChannels}-channel images and has ${network.shape.classes} classes; ` +
            `${dataset} has ${test.channels} channels and ${test.classes} classes`,
        );
      io.stderr(
        `lrnas eval: backend ${backend.name} (${backend.device}); ${test.size} ${dataset} test images, ` +
          `eps ${epsilon}, attacks ${attacks.map((a) => a.name + (a.steps ? `:${a.steps}` : '')).join(', ')}\n`,
      );
      const hub = await openHubReport(flags, io, {
        kind: 'EVALUATE',
        runId: hubRunId(`${path.resolve(flags.model)}\u0000${flags.out ?? ''}`),
        name: `lrnas eval ${path.basename(flags.model)}`,
        seed: flags.seed,
        config: { dataset, model: path.resolve(flags.model), attacks, epsilon, examples: test.size },
        network: { ...network.shape, imageSize: test.height },
        attacks,
        threatModel: { norm: 'linf', epsilon },
        backend: backend.name,
      });
      // The attacked architecture is the run's: its evaluations rank it.
      hub?.on({
        type: 'architecture',
        genotype: network.genotype,
        params: countParameters(network.genotype, network.shape),
      });
      const bar = new ProgressBar({ label: 'eval', total: test.size * (attacks.length + 1), unit: 'img' });
      let report;
      try {
        report = await evaluateModel({
          network,
          data: test,
          seed: flags.seed,
          threatModel: { norm: 'linf', epsilon },
          attacks,
          cascade,
          batchSize: flags['batch-size'],
          backend,
          onProgress: (done) => bar.update(done),
        });
      } catch (error) {
        await hub?.end('FAILED', undefined, (error as Error).message);
        if (error instanceof ContractError) throw new UsageError(error.message);
        throw error;
      } finally {
        bar.finish();
      }
      hub?.on({ type: 'evaluation', report });
      const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
      io.stderr(`clean: ${pct(report.cleanAccuracy)}\n`);
      for (const a of report.attacks) io.stderr(`${a.name}: ${pct(a.robustAccuracy)} (${a.seconds.toFixed(1)} s)\n`);
      io.stderr(
        `worst case over attacks${cascade ? ' (AutoAttack-style cascade)' : ''}: ${pct(report.robustAccuracy)}\n`,
      );
      const json = JSON.stringify(report);
      if (flags.out) await writeJson(path.resolve(flags.out), report);
      await hub?.end('SUCCEEDED');
      io.stdout(`${json}\n`);
    } finally {
      network.dispose();
    }
  },
});
