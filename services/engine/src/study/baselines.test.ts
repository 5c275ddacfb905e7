import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGenotype, type Genotype } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import { PUBLISHED_GENOTYPES, randomGenotypeWithin, resnetGenotype, scaleToBudget } from './baselines.js';
import { formatStudyTable, meanSpread, studyTable } from './table.js';
import type { StudyRow } from './run-study.js';
import { resolveStudySettings, SMALL_STUDY } from './settings.js';

const SHAPE = { layers: 5, classes: 10, inputChannels: 1 };

test('published cells and the ResNet-style cell are valid genotypes', () => {
  for (const g of [...Object.values(PUBLISHED_GENOTYPES), resnetGenotype()]) assert.deepEqual(parseGenotype(g), g);
  // DARTS_V2 at C=36, L=20, 10 classes, 3 channels: the reference count, so the copy is the published cell.
  const darts = countParameters(PUBLISHED_GENOTYPES['darts-v2'], {
    channels: 36,
    layers: 20,
    classes: 10,
    inputChannels: 3,
  });
  assert.equal(darts, 3_349_342);
});

test('scaleToBudget picks the largest even C within the budget, and names the minimum when none fits', () => {
  for (const genotype of [PUBLISHED_GENOTYPES['darts-v2'], PUBLISHED_GENOTYPES['lrnas-c10'], resnetGenotype()]) {
    const { channels, params } = scaleToBudget(genotype, SHAPE, 60_000);
    assert.equal(params, countParameters(genotype, { ...SHAPE, channels }));
    assert.ok(params <= 60_000);
    assert.ok(countParameters(genotype, { ...SHAPE, channels: channels + 2 }) > 60_000, `C=${channels} is the largest`);
  }
  assert.throws(() => scaleToBudget(resnetGenotype(), SHAPE, 100), /below this cell's smallest network \(C=2\)/);
});

test('random genotypes fall within the budget and follow their seed', () => {
  const shape = { ...SHAPE, channels: 8 };
  const a = randomGenotypeWithin(shape, 60_000, 1);
  assert.ok(countParameters(a, shape) <= 60_000);
  assert.deepEqual(randomGenotypeWithin(shape, 60_000, 1), a);
  assert.notDeepEqual(randomGenotypeWithin(shape, 60_000, 2), a);
  assert.throws(() => randomGenotypeWithin(shape, 10, 1), /no random genotype within 10 parameters/);
});

test('the table gives mean and sample spread per data set and row', () => {
  assert.deepEqual(meanSpread([1, 3]), { mean: 2, spread: Math.SQRT2, n: 2 });
  assert.deepEqual(meanSpread([5]), { mean: 5, spread: 0, n: 1 });
  const row = (arm: StudyRow['arm'], seed: number, clean: number): StudyRow => ({
    dataset: 'mnist',
    arm,
    seed,
    index: 0,
    genotype: resnetGenotype(),
    channels: 8,
    layers: 5,
    params: 1000 * seed,
    flops: 2e6,
    cleanAccuracy: clean,
    attacks: { fgsm: clean / 2, pgd: clean / 4, 'apgd-ce': clean / 5 },
    worstCase: clean / 5,
    seconds: 1,
  });
  const table = studyTable([row('lrnas', 1, 0.8), row('resnet', 1, 0.5), row('lrnas', 2, 0.6)]);
  assert.deepEqual(
    table.map((l) => [l.arm, l.clean.n, l.params.mean, Number(l.clean.mean.toFixed(6))]),
    [
      ['lrnas', 2, 1500, 0.7],
      ['resnet', 1, 1000, 0.5],
    ],
  );
  assert.match(
    formatStudyTable(table),
    /^data set +row +n +params +MFLOPs +clean % +FGSM % +PGD-20 % +APGD-CE % +worst %\n/,
  );
  assert.match(formatStudyTable(table), /mnist +lrnas +2 +1,500 +2\.00 +70\.0 ± 14\.1/);
});

test('the small preset fills every data set, the budget binds, and bad configs name their field', () => {
  const s = resolveStudySettings({});
  assert.deepEqual(s.datasets, SMALL_STUDY.datasets);
  assert.equal(s.arms.length, 8);
  const fashion = s.perDataset['fashion-mnist']!;
  assert.equal(fashion.search.epochs, SMALL_STUDY.searchEpochs);
  assert.equal(fashion.search.warmupEpochs, SMALL_STUDY.searchWarmupEpochs);
  assert.equal(fashion.training.epochs, SMALL_STUDY.trainEpochs);
  // The budget must bind: the largest cell at the study's size does not fit it, the smallest does.
  const shape = { ...SHAPE, channels: SMALL_STUDY.shape.channels };
  const cell = (op: 'sep_conv_5x5' | 'none') =>
    ({
      ...resnetGenotype(),
      normal: resnetGenotype().normal.map(([, i]) => [op, i]),
      reduce: resnetGenotype().reduce.map(([, i]) => [op, i]),
    }) as Genotype;
  assert.ok(countParameters(cell('sep_conv_5x5'), shape) > SMALL_STUDY.budget);
  assert.ok(countParameters(cell('none'), shape) < SMALL_STUDY.budget);
  assert.throws(() => resolveStudySettings({ seeds: [] }), /study\.seeds/);
  assert.throws(() => resolveStudySettings({ arms: ['lrnas', 'vgg'] }), /study\.arms\.1/);
  assert.throws(() => resolveStudySettings({ preset: 'huge' }), /study\.preset/);
});
