// The engine on the webgpu backend end to end: the tiny pipeline (search with contribution estimation, selection,
// adversarial retraining, evaluation under attack), and a job run off the main thread as a worker runs it, whose
// thread starts its own webgpu backend on Dawn. In CI the adapter is Mesa's lavapipe (the launcher installs it for
// files named *webgpu*), which computes on the CPU and is slow: the sizes are the smallest that run every stage.
// webgpu in Node has no synchronous read, so this fails wherever one is left on these paths.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { jobCodec, parseGenotype, type JobInput } from '@lrnas/schema';
import { initBackend } from '../backend.js';
import { countParameters } from '../nn/cost.js';
import { minimumParameters } from '../search/selection.js';
import { resolveSearchSettings } from '../search/settings.js';
import { resolveTrainSettings } from '../train/settings.js';
import { bandDataset } from '../train/test-data.js';
import { JOB_FILES } from './files.js';
import { runJobOffThread } from './job-thread.js';
import { runPipeline, type PipelineSetup } from './pipeline.js';
import type { JobEvent } from './stages.js';

const dirs: string[] = [];
const workDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-webgpu-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

before(async () => {
  const info = await initBackend('webgpu');
  assert.equal(info.tfBackend, 'webgpu');
});

const shape = { channels: 4, layers: 3, classes: 3, inputChannels: 1 };

/** 8x8 images: one search batch per epoch (half of the 24 images validate), one retraining epoch of two batches. */
function setup(outDir: string): PipelineSetup {
  return {
    dataset: 'mnist',
    seed: 3,
    search: resolveSearchSettings(
      { channels: 4, layers: 3, epochs: 2, warmupEpochs: 1, batchSize: 12, permutations: 1, estimateBatchSize: 6 },
      'mnist',
      { trainLimit: null, validExamples: 12 },
    ),
    selection: { budget: minimumParameters(shape) + 2500, mode: 'strict', channels: 4, layers: 3 },
    training: resolveTrainSettings(
      { method: 'madry', channels: 4, layers: 3, epochs: 1, batchSize: 12, attackSteps: 2 },
      'mnist',
      { epsilonWarmupEpochs: 0 },
    ),
    evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }, { name: 'pgd', steps: 2 }] },
    train: bandDataset(24, { side: 8, classes: 3, seed: 4 }),
    test: bandDataset(8, { side: 8, classes: 3, seed: 5, split: 'test' }),
    outDir,
  };
}

test('on webgpu a tiny pipeline searches, estimates contributions, selects, retrains adversarially and evaluates', async () => {
  const dir = workDir();
  const events: JobEvent[] = [];
  const result = await runPipeline(setup(dir), { onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'completed');
  assert.deepEqual(
    events.flatMap((e) => (e.type === 'stage' ? [`${e.stage}:${e.status}`] : [])),
    [
      'search:started',
      'search:completed',
      'select:started',
      'select:completed',
      'train:started',
      'train:completed',
      'evaluate:started',
      'evaluate:completed',
    ],
  );
  const steps = events.flatMap((e) => (e.type === 'search' && e.event.type === 'step' ? [e.event.loss] : []));
  assert.equal(steps.length, 2);
  assert.ok(
    steps.every((loss) => loss !== null && Number.isFinite(loss) && loss > 0),
    `finite search losses: ${steps}`,
  );
  assert.ok(
    events.some((e) => e.type === 'search' && e.event.type === 'contributions'),
    'the contributions were estimated',
  );
  const report = result.report!;
  const genotype = parseGenotype(report.genotype);
  assert.equal(report.params, countParameters(genotype, shape));
  assert.ok(report.params <= setup(dir).selection.budget);
  assert.equal(report.training.length, 1);
  assert.ok(report.cleanAccuracy >= 0 && report.cleanAccuracy <= 1);
  assert.ok(report.robustAccuracy <= report.cleanAccuracy);
  assert.equal(report.evaluation.backend.tfBackend, 'webgpu', 'the evaluation records the backend');
  assert.ok(report.evaluation.backend.adapter, 'and its adapter');
  assert.deepEqual(
    report.evaluation.attacks.map((a) => a.name),
    ['fgsm', 'pgd'],
  );
  for (const name of Object.values(JOB_FILES)) assert.ok(fs.existsSync(path.join(dir, name)), name);
});

/** A retraining job of one epoch on 24 MNIST images. */
const trainJob = (): JobInput => ({
  v: 1,
  kind: 'train',
  runId: 'run-webgpu',
  experimentId: 'exp-webgpu',
  seed: 3,
  dataset: { name: 'mnist', trainLimit: 24, testLimit: 8 },
  createdAt: new Date().toISOString(),
  genotype: JSON.parse(fs.readFileSync(new URL('../nn/fixtures/genotypes.json', import.meta.url), 'utf8')).LRNAS_C10,
  train: { method: 'madry', channels: 4, layers: 2, epochs: 1, batchSize: 12, attackSteps: 2 },
});

test('a job runs off the main thread on webgpu, as a worker runs it (the thread starts its own Dawn)', async () => {
  const events: JobEvent[] = [];
  const status = await runJobOffThread(jobCodec.parse(trainJob()), {
    dataDir: workDir(),
    workDir: workDir(),
    backend: 'webgpu',
    onEvent: (event) => events.push(event),
  });
  assert.equal(status, 'completed');
  const losses = events.flatMap((e) => (e.type === 'train' && e.event.type === 'step' ? [e.event.loss] : []));
  assert.equal(losses.length, 2, 'both batches stepped');
  assert.ok(
    losses.every((loss) => Number.isFinite(loss)),
    `finite losses: ${losses}`,
  );
});
