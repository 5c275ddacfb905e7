import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartGroups, lastValue, mergeBatch, mergePoints, thin } from './series.js';

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

test('charts: one per source and quantity, loss then accuracy then learning rate then the rest', () => {
  const groups = chartGroups([
    'search/lr',
    'search/epoch/params',
    'search/loss',
    'search/epoch/train_loss',
    'search/accuracy',
    'train/epoch/test_pgd_accuracy',
    'train/epoch/test_accuracy',
  ]);
  assert.deepEqual(
    groups.map((g) => [g.title, g.keys]),
    [
      ['search · loss', ['search/loss']],
      ['search/epoch · loss', ['search/epoch/train_loss']],
      ['search · accuracy', ['search/accuracy']],
      ['train/epoch · accuracy', ['train/epoch/test_accuracy', 'train/epoch/test_pgd_accuracy']],
      ['search · learning rate', ['search/lr']],
      ['search/epoch · params', ['search/epoch/params']],
    ],
  );
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

test('thinning keeps the ends and each bucket’s extremes, in order, and leaves short series alone', () => {
  const points = Array.from({ length: 10_000 }, (_, step) => ({ step, value: Math.sin(step / 50) }));
  points[5_000] = { step: 5_000, value: 9 }; // a spike
  const thinned = thin(points, 500);
  assert.ok(thinned.length <= 500, `${thinned.length} points`);
  assert.deepEqual(thinned[0], points[0]);
  assert.deepEqual(thinned.at(-1), points.at(-1));
  assert.ok(
    thinned.some((p) => p.value === 9),
    'the spike survives',
  );
  assert.ok(
    thinned.every((p, i) => i === 0 || p.step > thinned[i - 1]!.step),
    'steps rise',
  );
  const short = points.slice(0, 10);
  assert.deepEqual(thin(short, 500), short);
});
