import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildStudyInput, defaultStudyForm, meanSpreadPercent, studyFieldOf, studyPlotData } from './study.js';

test("a study form becomes startStudy's input in the API's enum names, unset numbers left to the preset", () => {
  const form = { ...defaultStudyForm(), datasets: ['mnist'], arms: ['resnet', 'random'], seeds: '0, 5 7' };
  const { input, errors } = buildStudyInput('exp_1', { ...form, numbers: { trainEpochs: '2', budget: '50,000' } });
  assert.deepEqual(errors, {});
  assert.deepEqual(input, {
    experimentId: 'exp_1',
    study: {
      preset: 'SMALL',
      datasets: ['MNIST'],
      arms: ['RANDOM', 'RESNET'],
      seeds: [0, 5, 7],
      budget: 50_000,
      trainEpochs: 2,
    },
  });
});

test('a bad study form names each wrong field', () => {
  const { errors } = buildStudyInput('exp_1', {
    ...defaultStudyForm(),
    datasets: [],
    seeds: '1, -2',
    numbers: { searchEpochs: '1.5' },
  });
  assert.deepEqual(Object.keys(errors).sort(), ['study.datasets', 'study.searchEpochs', 'study.seeds']);
  assert.match(errors['study.seeds']!, /"-2" is not a seed/);
  assert.equal(studyFieldOf('input.study.seeds[0]'), 'study.seeds');
  assert.equal(studyFieldOf('input.experimentId'), undefined);
});

test('figures read as mean ± spread in %, and the plot has one column of points per arm', () => {
  assert.equal(meanSpreadPercent({ mean: 0.4567, spread: 0.0321, n: 2 }), '45.7 ± 3.2');
  assert.equal(meanSpreadPercent({ mean: NaN, spread: 0, n: 0 }), '–');
  const data = studyPlotData([
    { arm: 'resnet', params: 50_000, worstCase: 0.3, key: 'mnist/seed-0/resnet', runId: 'r1' },
    { arm: 'lrnas', params: 40_000, worstCase: 0.4, key: 'mnist/seed-0/lrnas', runId: 'r2' },
  ]);
  assert.deepEqual(data.arms, ['lrnas', 'resnet']);
  assert.deepEqual(data.xs, [40_000, 50_000]);
  assert.deepEqual(data.ys, [
    [0.4, null],
    [null, 0.3],
  ]);
  assert.deepEqual(data.runIds, ['r2', 'r1']);
});
