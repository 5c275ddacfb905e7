import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { useBackend } from '../nn/test-util.js';
import { bandDataset } from '../train/test-data.js';
import type { SearchEpochSummary } from './search-checkpoint.js';
import { SearchRun, type SearchEvent } from './search-run.js';
import { minimumParameters } from './selection.js';
import { resolveSearchSettings, type SelectionSettings } from './settings.js';

before(async () => {
  await useBackend('wasm');
});

const data = bandDataset(64, { side: 8, classes: 3, seed: 2 });
const settings = resolveSearchSettings(
  {
    preset: 'tiny',
    channels: 4,
    layers: 3,
    epochs: 2,
    warmupEpochs: 1,
    batchSize: 16,
    permutations: 1,
    estimateBatchSize: 8,
    estimationMode: 'shapley',
  },
  'mnist',
  { trainLimit: null, validExamples: 16, scoringGroups: 8 },
);
const shape = { channels: 4, layers: 3, classes: 3, inputChannels: 1 };
const selection: SelectionSettings = {
  budget: minimumParameters(shape) + 3000,
  mode: 'strict',
  channels: 4,
  layers: 3,
};

/** What a run decides, without wall-clock figures. */
function outcome(history: SearchEpochSummary[]): unknown {
  return history.map(({ seconds: _s, estimateSeconds: _e, ...rest }) => rest);
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-search-'));
}

let reference: { alphas: unknown; history: SearchEpochSummary[]; events: SearchEvent[] } | undefined;

async function uninterrupted(): Promise<NonNullable<typeof reference>> {
  if (reference) return reference;
  const run = new SearchRun({ settings, selection, seed: 5, train: data });
  const events: SearchEvent[] = [];
  const result = await run.run({ onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'completed');
  reference = { alphas: result.alphas, history: result.history, events };
  run.dispose();
  return reference;
}

test('a search trains, estimates after the warm-up only, moves the architecture weights and selects within the budget', async () => {
  const before = tf.memory().numTensors;
  const { history, events } = await uninterrupted();
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  assert.deepEqual(
    history.map((h) => h.estimated),
    [false, true],
  );
  const steps = events.filter((e) => e.type === 'step');
  assert.equal(steps.length, 2 * 2, '2 epochs of 2 batches (32 weight-training images of 16)');
  assert.deepEqual(
    steps.map((e) => e.step),
    [1, 2, 3, 4],
  );
  const contributions = events.filter((e) => e.type === 'contributions');
  assert.equal(contributions.length, 1);
  const [c] = contributions;
  assert.ok(c && c.type === 'contributions');
  assert.equal(c.naivePrefixEvaluations, 225);
  assert.ok(c.work.operations > 0);
  const genotypes = events.filter((e) => e.type === 'genotype');
  assert.equal(genotypes.length, 2, 'a genotype after every epoch');
  for (const h of history) {
    assert.ok(h.params <= selection.budget, `params ${h.params} within ${selection.budget}`);
    assert.ok(h.validAccuracy !== null && h.validAccuracy >= 0 && h.validAccuracy <= 1);
  }
  // Warm-up keeps the initial alphas, so epoch 0's genotype comes from them; the estimate changes them.
  const first = new SearchRun({ settings, selection, seed: 5, train: data });
  assert.deepEqual(first.selectGenotype().genotype, history[0]!.genotype);
  assert.notDeepEqual(first.alphas, reference!.alphas);
  first.dispose();
});

test('the same seed gives the same search; another seed another one', async () => {
  const { history } = await uninterrupted();
  const again = new SearchRun({ settings, selection, seed: 5, train: data });
  const result = await again.run();
  assert.deepEqual(outcome(result.history), outcome(history));
  assert.deepEqual(result.alphas, reference!.alphas);
  again.dispose();
});

test('interrupted mid-epoch (stopped) and during an estimation (cancelled), then resumed: the same search', async () => {
  const { history } = await uninterrupted();
  const dir = tmp();
  const checkpoint = path.join(dir, 'search.ckpt');
  const first = new SearchRun({ settings, selection, seed: 5, train: data });
  const stopped = await first.run({ checkpointPath: checkpoint, maxSteps: 3 });
  assert.equal(stopped.status, 'stopped');
  assert.deepEqual(stopped.position, { epoch: 1, batch: 1, step: 3 });
  first.dispose();

  const second = await SearchRun.resume(checkpoint, data);
  assert.deepEqual(second.position, { epoch: 1, batch: 1, step: 3 });
  const controller = new AbortController();
  const cancelled = await second.run({
    checkpointPath: checkpoint,
    signal: controller.signal,
    onEvent: (e) => {
      if (e.type === 'estimate-progress') controller.abort();
    },
  });
  assert.equal(cancelled.status, 'cancelled');
  assert.deepEqual(cancelled.position, { epoch: 1, batch: 2, step: 4 }, 'training done, estimation pending');
  second.dispose();

  const third = await SearchRun.resume(checkpoint, data);
  const events: SearchEvent[] = [];
  const done = await third.run({ checkpointPath: checkpoint, onEvent: (e) => events.push(e) });
  assert.equal(done.status, 'completed');
  assert.equal(events.filter((e) => e.type === 'step').length, 0, 'no step is repeated');
  assert.deepEqual(outcome(done.history), outcome(history));
  assert.deepEqual(done.alphas, reference!.alphas);
  third.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a checkpoint of other data is refused, naming what differs; a damaged one names the file', async () => {
  const dir = tmp();
  const checkpoint = path.join(dir, 'search.ckpt');
  const run = new SearchRun({ settings, selection, seed: 5, train: data });
  await run.saveCheckpoint(checkpoint);
  run.dispose();
  const other = bandDataset(64, { side: 8, classes: 3, seed: 3 });
  const relabelled = other.subset(
    Array.from({ length: 64 }, (_, i) => (i + 1) % 64),
    'train',
  );
  await assert.rejects(SearchRun.resume(checkpoint, relabelled), (error: Error) => {
    assert.ok(error instanceof ContractError);
    assert.match(error.message, /other data/);
    return true;
  });
  fs.writeFileSync(checkpoint, fs.readFileSync(checkpoint).subarray(0, 100));
  await assert.rejects(
    SearchRun.resume(checkpoint, data),
    new RegExp(checkpoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
  );
  fs.rmSync(dir, { recursive: true, force: true });
});

test('search settings: errors name the field', () => {
  assert.throws(() => resolveSearchSettings({ epochs: 3, warmupEpochs: 3 }, 'mnist'), /search.warmupEpochs/);
  assert.throws(() => resolveSearchSettings({ channels: 6, partialChannels: 4 }, 'mnist'), /search.partialChannels/);
  assert.throws(() => resolveSearchSettings({ preset: 'huge' }, 'mnist'), /search.preset/);
  assert.throws(() => resolveSearchSettings({ permutations: 0 }, 'mnist'), /search.permutations/);
  assert.throws(() => resolveSearchSettings({ estimationMode: 'exact' }, 'mnist'), /search.estimationMode/);
  const paper = resolveSearchSettings({ preset: 'paper' }, 'cifar10');
  assert.deepEqual(
    [
      paper.channels,
      paper.layers,
      paper.epochs,
      paper.warmupEpochs,
      paper.batchSize,
      paper.permutations,
      paper.estimateBatchSize,
    ],
    [16, 8, 50, 15, 128, 10, 64],
  );
  assert.equal(paper.fgsmEpsilon, 8 / 255);
  assert.equal(resolveSearchSettings({ warmupEpochs: 0 }, 'mnist').warmupEpochs, 0, 'the no-warm-up ablation');
});

test('on two engine threads: training follows one thread within float tolerance; stopped and resumed, the same search', async () => {
  const { history } = await uninterrupted();
  const onThreads = async (): Promise<{ history: SearchEpochSummary[]; alphas: unknown }> => {
    const run = new SearchRun({ settings, selection, seed: 5, train: data });
    try {
      const result = await run.run({ threads: 2 });
      assert.equal(result.status, 'completed');
      return result;
    } finally {
      run.dispose();
    }
  };
  const two = await onThreads();
  const [a, b] = [history[0], two.history[0]] as [SearchEpochSummary, SearchEpochSummary];
  // Whole-batch BN statistics and summed gradients: the same training up to float summation order.
  assert.ok(Math.abs((a.trainLoss as number) - (b.trainLoss as number)) < 1e-4, `${a.trainLoss} vs ${b.trainLoss}`);
  assert.ok(Math.abs(b.trainAccuracy - a.trainAccuracy) <= 1 / 32, 'at most one image classified differently');

  // The threads' weights and momentum go into the checkpoint and back: resuming repeats the uninterrupted run.
  const dir = tmp();
  const checkpoint = path.join(dir, 'search.ckpt');
  const first = new SearchRun({ settings, selection, seed: 5, train: data });
  assert.equal((await first.run({ checkpointPath: checkpoint, maxSteps: 3, threads: 2 })).status, 'stopped');
  first.dispose();
  const second = await SearchRun.resume(checkpoint, data);
  const done = await second.run({ checkpointPath: checkpoint, threads: 2 });
  second.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(outcome(done.history), outcome(two.history));
  assert.deepEqual(done.alphas, two.alphas);
  const bad = new SearchRun({ settings, selection, seed: 5, train: data });
  await assert.rejects(bad.run({ threads: 0 }), /threads.*positive integer/);
  bad.dispose();
});
