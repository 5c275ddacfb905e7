import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseGenotype } from '@lrnas/schema';
import { useBackend } from '../nn/test-util.js';
import { countParameters } from '../nn/cost.js';
import { resolveTrainSettings } from '../train/settings.js';
import { bandDataset } from '../train/test-data.js';
import { minimumParameters } from '../search/selection.js';
import { resolveSearchSettings } from '../search/settings.js';
import { JOB_FILES } from './files.js';
import { runPipeline, type PipelineReport, type PipelineSetup } from './pipeline.js';
import type { JobEvent } from './stages.js';

before(async () => {
  await useBackend('wasm');
});

const train = bandDataset(48, { side: 8, classes: 3, seed: 4 });
const test_ = bandDataset(12, { side: 8, classes: 3, seed: 5, split: 'test' });
const shape = { channels: 4, layers: 3, classes: 3, inputChannels: 1 };

function setup(outDir: string, seed = 3): PipelineSetup {
  return {
    dataset: 'mnist',
    seed,
    search: resolveSearchSettings(
      {
        channels: 4,
        layers: 3,
        epochs: 2,
        warmupEpochs: 1,
        batchSize: 12,
        permutations: 1,
        estimateBatchSize: 6,
      },
      'mnist',
      { trainLimit: null, validExamples: 12 },
    ),
    selection: { budget: minimumParameters(shape) + 2500, mode: 'strict', channels: 4, layers: 3 },
    training: resolveTrainSettings({ method: 'madry', channels: 4, layers: 3, epochs: 2, batchSize: 12 }, 'mnist', {
      epsilonWarmupEpochs: 0,
    }),
    evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }, { name: 'pgd', steps: 3 }] },
    train,
    test: test_,
    outDir,
  };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-pipeline-'));
}

/** The parts of a report that do not depend on wall-clock time or paths. */
function decisions(report: PipelineReport): unknown {
  return {
    genotype: report.genotype,
    params: report.params,
    alphas: report.alphas,
    search: report.search.map(({ seconds: _s, estimateSeconds: _e, ...rest }) => rest),
    training: report.training.map(({ seconds: _s, ...rest }) => rest),
    clean: report.cleanAccuracy,
    robust: report.robustAccuracy,
  };
}

let whole: PipelineReport | undefined;

test('a pipeline searches, selects within the budget, retrains adversarially, evaluates and writes every file', async () => {
  const dir = tmp();
  const events: JobEvent[] = [];
  const result = await runPipeline(setup(dir), { onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'completed');
  const report = result.report!;
  whole = report;
  assert.deepEqual(
    events.filter((e) => e.type === 'stage').map((e) => e.type === 'stage' && `${e.stage}:${e.status}`),
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
  for (const kind of ['search', 'selection', 'train', 'evaluation'] as const)
    assert.ok(
      events.some((e) => e.type === kind),
      `${kind} events`,
    );
  const genotype = parseGenotype(report.genotype);
  assert.equal(report.params, countParameters(genotype, shape));
  assert.ok(report.params <= setup(dir).selection.budget);
  assert.equal(report.training.length, 2);
  assert.ok(report.cleanAccuracy >= 0 && report.cleanAccuracy <= 1);
  assert.ok(report.robustAccuracy <= report.cleanAccuracy);
  assert.equal(report.evaluation.attacks.length, 2);
  for (const name of Object.values(JOB_FILES)) assert.ok(fs.existsSync(path.join(dir, name)), name);
  const stored = JSON.parse(fs.readFileSync(path.join(dir, JOB_FILES.report), 'utf8')) as PipelineReport;
  assert.deepEqual(stored.genotype, report.genotype);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a pipeline cancelled in the search and again in the retraining resumes to the same result', async () => {
  assert.ok(whole, 'needs the uninterrupted pipeline');
  const dir = tmp();
  for (const stop of ['search', 'train'] as const) {
    const controller = new AbortController();
    const result = await runPipeline(setup(dir), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === stop && e.event.type === 'step' && e.event.step === 3) controller.abort();
      },
    });
    assert.equal(result.status, 'cancelled');
    assert.equal(result.stage, stop);
  }
  const events: JobEvent[] = [];
  const result = await runPipeline(setup(dir), { onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'completed');
  assert.ok(events.some((e) => e.type === 'stage' && e.stage === 'train' && e.status === 'resumed'));
  assert.ok(!events.some((e) => e.type === 'stage' && e.stage === 'search'), 'the finished search is not rerun');
  assert.deepEqual(decisions(result.report!), decisions(whole));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a folder holding a pipeline with other settings is refused, naming what differs', async () => {
  const dir = tmp();
  const controller = new AbortController();
  controller.abort();
  await runPipeline(setup(dir), { signal: controller.signal });
  await assert.rejects(runPipeline(setup(dir, 4)), /seed differ/);
  fs.rmSync(dir, { recursive: true, force: true });
});
