import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alignSeries,
  axisRange,
  chartGroups,
  lastValue,
  legendLabel,
  mergeBatch,
  mergePoints,
  tickLabels,
} from './series.js';

test('merging is by step: a replayed point replaces the stored one, the result is sorted', () => {
  const merged = mergePoints(
    [
      { step: 0, value: 2 },
      { step: 2, value: 1.5 },
    ],
    [
      { step: 1, value: 1.8 },
      { step: 2, value: 1.4 },
    ],
  );
  assert.deepEqual(merged, [
    { step: 0, value: 2 },
    { step: 1, value: 1.8 },
    { step: 2, value: 1.4 },
  ]);
});

test('a live batch adds new keys and leaves the other series alone', () => {
  const before = { 'search/loss': [{ step: 0, value: 3 }] };
  const after = mergeBatch(before, [{ key: 'train/loss', points: [{ step: 0, value: 1 }] }]);
  assert.deepEqual(Object.keys(after).sort(), ['search/loss', 'train/loss']);
  assert.deepEqual(after['search/loss'], [{ step: 0, value: 3 }]);
  assert.deepEqual(before, { 'search/loss': [{ step: 0, value: 3 }] }, 'input unchanged');
});

test('charts: one per source and quantity, loss then accuracy then learning rate then the rest, with axis titles', () => {
  const groups = chartGroups([
    'search/lr',
    'search/epoch/params',
    'search/loss',
    'search/epoch/train_loss',
    'search/accuracy',
    'search/epoch/scoring_clean',
    'train/epoch/test_pgd_accuracy',
    'train/epoch/test_accuracy',
  ]);
  assert.deepEqual(
    groups.map((g) => [g.id, g.title, g.xTitle, g.yTitle, g.keys]),
    [
      ['search · loss', 'search: loss per step', 'search step', 'loss (cross-entropy)', ['search/loss']],
      [
        'search/epoch · loss',
        'search: loss per epoch',
        'search epoch',
        'loss (cross-entropy)',
        ['search/epoch/train_loss'],
      ],
      ['search · accuracy', 'search: accuracy per step', 'search step', 'accuracy (%)', ['search/accuracy']],
      [
        'search/epoch · accuracy',
        'search: accuracy per epoch',
        'search epoch',
        'accuracy (%)',
        ['search/epoch/scoring_clean'],
      ],
      [
        'train/epoch · accuracy',
        'train: accuracy per epoch',
        'train epoch',
        'accuracy (%)',
        ['train/epoch/test_accuracy', 'train/epoch/test_pgd_accuracy'],
      ],
      ['search · learning rate', 'search: learning rate per step', 'search step', 'learning rate', ['search/lr']],
      [
        'search/epoch · parameters',
        'search: parameters per epoch',
        'search epoch',
        'parameters (count)',
        ['search/epoch/params'],
      ],
    ],
  );
});

test('aligned series: the union of steps; null where a value is missing (a gap), undefined where no point', () => {
  const { steps, values } = alignSeries([
    [
      { step: 0, value: 1 },
      { step: 2, value: null },
      { step: 4, value: 3 },
    ],
    [
      { step: 1, value: 0.5 },
      { step: 2, value: Number.NaN },
    ],
  ]);
  assert.deepEqual(steps, [0, 1, 2, 4]);
  assert.deepEqual(values, [
    [1, undefined, null, 3],
    [undefined, 0.5, null, undefined],
  ]);
});

test('the legend says when a series has null values and when it has none at all', () => {
  const points = (...values: (number | null)[]) => values.map((value, step) => ({ step, value }));
  assert.equal(legendLabel('train/epoch/test_accuracy', points(0.2, 0.3)), 'train/epoch/test_accuracy');
  assert.equal(legendLabel('search/loss', points(1, null, 0.5)), 'search/loss (1 null, shown as gaps)');
  assert.equal(
    legendLabel('train/epoch/test_pgd_accuracy', points(null, null)),
    'train/epoch/test_pgd_accuracy (no values: 2 null)',
  );
});

test('axis ranges: a single step in the middle of its own, accuracies span 0-100 %, a single value is padded', () => {
  assert.deepEqual(axisRange('steps', 3, 3), [2.5, 3.5]);
  assert.deepEqual(axisRange('steps', 0, 0), [-0.5, 0.5]);
  assert.deepEqual(axisRange('steps', 0, 40), [0, 40]);
  assert.deepEqual(axisRange('accuracy', 0.3, 0.3), [0, 1]);
  assert.deepEqual(axisRange('value', 44_322, 44_322), [44_322 - 4432.2, 44_322 + 4432.2]);
  assert.deepEqual(axisRange('value', 0, 0), [-1, 1]);
  assert.deepEqual(axisRange('value', 1, 3), [0.9, 3.1]);
  assert.deepEqual(axisRange('value', null, null), [0, 1]);
});

test('the last value skips a diverged (null) point', () => {
  assert.equal(
    lastValue([
      { step: 0, value: 1 },
      { step: 1, value: null },
    ]),
    1,
  );
  assert.equal(lastValue([]), null);
});

test('tick labels of an axis share their decimals; exponents only for very small or large values', () => {
  assert.deepEqual(tickLabels([0.00095, 0.001, 0.00105]), ['0.00095', '0.00100', '0.00105']);
  assert.deepEqual(tickLabels([2.3, 2.35, 2.4]), ['2.30', '2.35', '2.40']);
  assert.deepEqual(tickLabels([0, 2000, 4000]), ['0', '2,000', '4,000']);
  assert.deepEqual(tickLabels([1e-5, 2e-5]), ['1.00e-5', '2.00e-5']);
  assert.deepEqual(tickLabels([4]), ['4']);
});
