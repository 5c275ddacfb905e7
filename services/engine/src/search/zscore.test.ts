import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zScore } from './zscore.js';

test('zScore uses the population standard deviation', () => {
  // mean 2.5, population variance 1.25
  const sd = Math.sqrt(1.25);
  const got = zScore([1, 2, 3, 4]);
  [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => assert.ok(Math.abs((got[i] as number) - d / sd) < 1e-15));
  const big = zScore(Array.from({ length: 50 }, (_, i) => Math.sin(i) * 7 + 3));
  const mean = big.reduce((a, b) => a + b, 0) / big.length;
  const variance = big.reduce((a, b) => a + (b - mean) ** 2, 0) / big.length;
  assert.ok(Math.abs(mean) < 1e-12);
  assert.ok(Math.abs(variance - 1) < 1e-12);
});

test('zScore of equal values is all zeros, even where their rounded mean is off by an ulp', () => {
  const tenths = new Array<number>(224).fill(0.1);
  assert.notEqual(tenths.reduce((a, b) => a + b, 0) / 224, 0.1, 'the case the exact check guards against');
  assert.deepEqual(zScore(tenths), new Float64Array(224));
  assert.deepEqual(zScore([0, 0, 0]), new Float64Array(3));
  assert.deepEqual(zScore([5]), new Float64Array(1));
  assert.deepEqual(zScore([]), new Float64Array(0));
});

test('zScore is invariant to shift and positive scale, and rejects non-finite values', () => {
  const xs = [0.3, -1, 2, 0.25, 7];
  const a = zScore(xs);
  const b = zScore(Float64Array.from(xs, (x) => 4 * x - 9));
  a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] as number)) < 1e-12));
  assert.throws(() => zScore([1, Number.NaN]), /finite values; value 1 is NaN/);
  assert.throws(() => zScore([Infinity, 1]), /value 0 is Infinity/);
});
