import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STUDY_ARMS } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import { useBackend } from '../nn/test-util.js';
import { resolveSearchSettings } from '../search/settings.js';
import { resolveTrainSettings } from '../train/settings.js';
import { bandDataset } from '../train/test-data.js';
import { PUBLISHED_GENOTYPES } from './baselines.js';
import { runStudy, type StudyRow } from './run-study.js';
import type { StudySettings } from './settings.js';
import { studyTable } from './table.js';

before(async () => {
  await useBackend('wasm');
});

// The study's plumbing at the smallest size that runs every stage: 3-class 8x8 bands, C=4, L=3, one-epoch
// retraining on 24 images, 6 test images and cut-down attacks.
const SHAPE = { channels: 4, layers: 3 };
const NET = { ...SHAPE, classes: 3, inputChannels: 1 };
// Room for the published cells at C=4 and for selection to choose.
const BUDGET = countParameters(PUBLISHED_GENOTYPES['darts-v2'], NET) + 1000;

function settings(seeds: number[], arms: StudySettings['arms'] = [...STUDY_ARMS]): StudySettings {
  return {
    preset: 'test',
    datasets: ['mnist'],
    arms,
    seeds,
    budget: BUDGET,
    randomArchitectures: 2,
    perDataset: {
      mnist: {
        search: resolveSearchSettings(
          { ...SHAPE, epochs: 2, warmupEpochs: 1, batchSize: 12, permutations: 1, estimateBatchSize: 6 },
          'mnist',
          { trainLimit: null, validExamples: 6 },
        ),
        shape: SHAPE,
        training: resolveTrainSettings(
          { ...SHAPE, method: 'madry', epochs: 1, batchSize: 12, attackSteps: 2 },
          'mnist',
          {
            epsilonWarmupEpochs: 0,
          },
        ),
        evaluate: {
          threatModel: { norm: 'linf', epsilon: 0.3 },
          attacks: [{ name: 'fgsm' }, { name: 'pgd', steps: 2 }, { name: 'apgd-ce', steps: 3 }],
          examples: 6,
        },
        trainImages: 24,
      },
    },
  };
}

const loadData = async (): Promise<{
  train: ReturnType<typeof bandDataset>;
  test: ReturnType<typeof bandDataset>;
}> => ({
  train: bandDataset(24, { side: 8, classes: 3, seed: 4 }),
  test: bandDataset(6, { side: 8, classes: 3, seed: 5, split: 'test' }),
});

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-study-'));
const withoutTime = (rows: StudyRow[]): unknown => rows.map(({ seconds: _, ...rest }) => rest);

test('a study produces every row for every seed, within the budget, and resumes without rerunning', async () => {
  const dir = tmp();
  const progress: string[] = [];
  const phases: string[] = [];
  const rows = await runStudy(settings([3, 4]), {
    outDir: dir,
    loadData,
    threads: 1,
    onProgress: (p) => {
      if (!p.event) progress.push(`${p.done}/${p.total} ${p.row}`);
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    },
  });
  assert.ok(rows);
  const ids = rows.map((r) => `${r.seed}:${r.arm}:${r.index}`);
  const want = [3, 4].flatMap((seed) =>
    STUDY_ARMS.flatMap((arm) => (arm === 'random' ? [0, 1] : [0]).map((index) => `${seed}:${arm}:${index}`)),
  );
  assert.deepEqual(ids, want, 'every row, in plan order');
  assert.equal(progress.length, want.length);
  assert.deepEqual(phases, ['genotypes', 'rows'], 'every search before the first row retrains');
  assert.equal(progress.at(-1), `${want.length}/${want.length} mnist/seed-4/resnet`);
  for (const row of rows) {
    assert.equal(row.params, countParameters(row.genotype, { ...NET, channels: row.channels }));
    // DARTS parsing ignores the budget (that is the ablation); every other row is held to it.
    if (row.arm !== 'no-greedy') assert.ok(row.params <= BUDGET, `${row.arm}: ${row.params} > ${BUDGET}`);
    assert.ok(row.flops > 0);
    assert.deepEqual(Object.keys(row.attacks).sort(), ['apgd-ce', 'fgsm', 'pgd']);
    for (const a of Object.values(row.attacks)) assert.ok(row.worstCase <= a && a <= row.cleanAccuracy);
  }
  // Seeds are honoured: the random genotypes differ between seeds and between the two of a seed.
  const random = rows.filter((r) => r.arm === 'random').map((r) => JSON.stringify(r.genotype));
  assert.equal(new Set(random).size, 4);
  // lrnas and no-greedy share their seed's search, and the three searches of a seed each left their folder.
  for (const seed of [3, 4])
    for (const variant of ['base', 'no-warmup', 'reference'])
      assert.ok(fs.existsSync(path.join(dir, 'mnist', `seed-${seed}`, `search-${variant}`, 'search-done.json')));
  assert.equal(studyTable(rows).length, STUDY_ARMS.length);

  // A rerun on the folder reads the finished rows back; another study's settings are refused.
  const again = await runStudy(settings([3, 4]), { outDir: dir, loadData, threads: 1 });
  assert.deepEqual(again, rows);
  await assert.rejects(runStudy(settings([5]), { outDir: dir, loadData, threads: 1 }), /holds another study/);

  // The same seed alone, in a new folder, gives the same lrnas row: the seed, not the order, decides it.
  const alone = await runStudy(settings([4], ['lrnas']), { outDir: tmp(), loadData, threads: 1 });
  assert.deepEqual(withoutTime(alone!), withoutTime(rows.filter((r) => r.seed === 4 && r.arm === 'lrnas')));
});

test('with two threads rows run two at once, each on a thread of its own, with the figures of one thread', async () => {
  const arms: StudySettings['arms'] = ['random', 'darts-v2', 'resnet'];
  const one = await runStudy(settings([3], arms), { outDir: tmp(), loadData, threads: 1 });
  assert.ok(one);

  // Stopped once the first row is in: the row running beside it stops too, and nothing more starts.
  const dir = tmp();
  const stop = new AbortController();
  const stopped = await runStudy(settings([3], arms), {
    outDir: dir,
    loadData,
    threads: 2,
    signal: stop.signal,
    onRow: () => stop.abort(),
  });
  assert.equal(stopped, undefined);
  const kept = Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'rows.json'), 'utf8')) as object);
  assert.ok(kept.length >= 1 && kept.length <= 2, `rows kept when stopped: ${kept.join(', ')}`);

  // Resumed with two threads: every row, in plan order, equal to one thread's.
  const two = await runStudy(settings([3], arms), { outDir: dir, loadData, threads: 2 });
  assert.deepEqual(withoutTime(two!), withoutTime(one));
});

test('a row that fails on its thread fails the study with its error, naming the setting', async () => {
  const bad = settings([3], ['darts-v2', 'resnet']);
  bad.perDataset.mnist!.training = { ...bad.perDataset.mnist!.training, batchSize: 0 };
  await assert.rejects(runStudy(bad, { outDir: tmp(), loadData, threads: 2 }), /batchSize/);
});
