import assert from 'node:assert/strict';
import { test } from 'node:test';
import { downsample, type SeriesPoint } from './downsample.js';
import { rankLeaderboard } from './leaderboard.js';
import { paretoFront } from './pareto.js';

const series = (values: (number | null)[]): SeriesPoint[] => values.map((value, step) => ({ step, value }));

test('downsample keeps short series whole and caps long ones', () => {
  const short = series([1, 2, 3]);
  assert.deepEqual(downsample(short, 10), short);
  const long = series(Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 100)));
  const thin = downsample(long, 200);
  assert.ok(thin.length <= 200);
  assert.deepEqual(thin[0], long[0]);
  assert.deepEqual(thin.at(-1), long.at(-1));
  assert.ok(
    thin.every((p, i) => i === 0 || p.step > thin[i - 1]!.step),
    'steps stay in order, no repeats',
  );
  assert.throws(() => downsample(long, 1), /at least 2/);
});

test('downsample keeps the extremes: a one-step spike and dip survive', () => {
  const values = Array.from({ length: 5000 }, () => 1);
  values[1234] = 100;
  values[3210] = -50;
  const thin = downsample(series(values), 50);
  assert.ok(thin.some((p) => p.step === 1234 && p.value === 100));
  assert.ok(thin.some((p) => p.step === 3210 && p.value === -50));
  const diverged: (number | null)[] = [...values];
  diverged[4000] = null;
  assert.ok(
    downsample(series(diverged), 50).some((p) => p.step === 4000 && p.value === null),
    'a NaN step stays visible',
  );
});

test('the Pareto front holds exactly the undominated entries', () => {
  const entries = [
    { id: 'a', params: 1e6, robustAccuracy: 0.4 },
    { id: 'b', params: 2e6, robustAccuracy: 0.5 },
    { id: 'c', params: 2.5e6, robustAccuracy: 0.45 }, // bigger and weaker than b
    { id: 'd', params: 0.5e6, robustAccuracy: 0.2 },
    { id: 'e', params: 3e6, robustAccuracy: 0.55 },
    { id: 'f', params: 1e6, robustAccuracy: 0.3 }, // same size as a, weaker
  ];
  assert.deepEqual(
    paretoFront(entries).map((e) => e.id),
    ['d', 'a', 'b', 'e'],
  );
  // Brute force: an entry is on the front iff nothing is at least as good on both and better on one.
  const dominated = (x: (typeof entries)[number]) =>
    entries.some(
      (y) =>
        y !== x &&
        y.params <= x.params &&
        y.robustAccuracy >= x.robustAccuracy &&
        (y.params < x.params || y.robustAccuracy > x.robustAccuracy),
    );
  assert.deepEqual(
    paretoFront(entries)
      .map((e) => e.id)
      .sort(),
    entries
      .filter((e) => !dominated(e))
      .map((e) => e.id)
      .sort(),
  );
});

test('the leaderboard keeps each architecture once, by its best evaluation, within the budget', () => {
  const rows = rankLeaderboard(
    [
      { architectureHash: 'x', params: 2e6, robustAccuracy: 0.5, cleanAccuracy: 0.8, run: 1 },
      { architectureHash: 'x', params: 2e6, robustAccuracy: 0.52, cleanAccuracy: 0.79, run: 2 },
      { architectureHash: 'y', params: 1e6, robustAccuracy: 0.52, cleanAccuracy: 0.7, run: 3 },
      { architectureHash: 'z', params: 5e6, robustAccuracy: 0.9, cleanAccuracy: 0.9, run: 4 },
    ],
    3e6,
  );
  assert.deepEqual(
    rows.map((r) => r.run),
    [3, 2],
    'z is over budget; y ties x on robustness and is smaller',
  );
});
