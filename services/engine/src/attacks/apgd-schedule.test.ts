import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apgdCheckpoints, shouldHalve } from './apgd-schedule.js';

test('checkpoints for 100 iterations are those of the paper', () => {
  // p = 0, .22, .41, .57, .70, .80, .87, .93, .99 (steps .22, .19, .16, .13, .10, .07, then the .06 floor).
  assert.deepEqual(apgdCheckpoints(100), [0, 22, 41, 57, 70, 80, 87, 93, 99]);
  assert.deepEqual(apgdCheckpoints(1000), [0, 220, 410, 570, 700, 800, 870, 930, 990]);
});

test('checkpoints follow w_j = ceil(p_j N) with the recursion on p, for many N', () => {
  for (const n of [1, 2, 5, 7, 10, 13, 20, 37, 50, 99, 250, 1234]) {
    // Independent evaluation of the recursion in floating point, rounding away float noise before ceil.
    const p = [0, 0.22];
    while (true) {
      const last = p[p.length - 1]!;
      const next = last + Math.max(last - p[p.length - 2]! - 0.03, 0.06);
      if (next > 1 + 1e-9) break;
      p.push(next);
    }
    const expected = [...new Set(p.map((pj) => Math.ceil(Math.round(pj * n * 1e6) / 1e6)))];
    const got = apgdCheckpoints(n);
    assert.deepEqual(got, expected, `N = ${n}`);
    assert.equal(got[0], 0);
    for (let j = 1; j < got.length; j++)
      assert.ok(got[j]! > got[j - 1]! && got[j]! <= n, `N = ${n}: strictly increasing within [0, N]`);
  }
});

test('checkpoints reject a non-positive iteration count', () => {
  assert.throws(() => apgdCheckpoints(0), /steps/);
  assert.throws(() => apgdCheckpoints(2.5), /steps/);
});

test('halving: condition 1 (too few successful increases)', () => {
  const base = { span: 20, halvedBefore: true, bestLoss: 2, bestLossBefore: 1 };
  assert.equal(shouldHalve({ ...base, increases: 14 }, 0.75), true); // 14 < 15
  assert.equal(shouldHalve({ ...base, increases: 15 }, 0.75), false);
});

test('halving: condition 2 (not halved last time and no progress of the best loss)', () => {
  const base = { span: 20, increases: 20 };
  assert.equal(shouldHalve({ ...base, halvedBefore: false, bestLoss: 1, bestLossBefore: 1 }, 0.75), true);
  assert.equal(shouldHalve({ ...base, halvedBefore: true, bestLoss: 1, bestLossBefore: 1 }, 0.75), false);
  assert.equal(shouldHalve({ ...base, halvedBefore: false, bestLoss: 1.5, bestLossBefore: 1 }, 0.75), false);
});
