import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extent, logTicks, ticks } from './scale.js';

test('extent ignores nulls and non-finite values and widens a flat series', () => {
  assert.deepEqual(extent([3, null, 1, Infinity, 2]), { min: 1, max: 3 });
  assert.deepEqual(extent([2, 2]), { min: 1.9, max: 2.1 });
  assert.equal(extent([null]), null);
});

test('round ticks inside the domain', () => {
  assert.deepEqual(ticks({ min: 0, max: 1 }, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks({ min: 3, max: 97 }, 4), [20, 40, 60, 80]);
});

test('log ticks are 1, 2 and 5 times powers of ten', () => {
  const t = logTicks({ min: Math.log10(800), max: Math.log10(60_000) }).map((v) => Math.round(10 ** v));
  assert.deepEqual(t, [1000, 2000, 5000, 10_000, 20_000, 50_000]);
  const narrow = logTicks({ min: Math.log10(3900), max: Math.log10(4900) }).map((v) => Math.round(10 ** v));
  assert.deepEqual(narrow, [4000, 4200, 4400, 4600, 4800], 'a narrow span gets round plain values');
});
