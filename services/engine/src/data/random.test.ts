import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeed, permutation, shuffleInPlace } from './random.js';

test('xoshiro128** matches the reference implementation from state {1, 2, 3, 4}', () => {
  // Test vector of Blackman & Vigna's xoshiro128starstar.c (also used by Rust's rand_xoshiro).
  const rng = Rng.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 10 }, () => rng.nextU32());
  assert.deepEqual(
    got,
    [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804],
  );
});

test('seeded generators repeat per seed and differ across seeds', () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 16 }, () => rng.nextU32());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(0), draw(1));
});

test('deriveSeed depends on every part and on their order', () => {
  assert.equal(deriveSeed(1, 2, 3), deriveSeed(1, 2, 3));
  const seen = new Set([
    deriveSeed(1, 2, 3),
    deriveSeed(3, 2, 1),
    deriveSeed(1, 2),
    deriveSeed(1, 2, 3, 0),
    deriveSeed(2, 2, 3),
    deriveSeed(1, 2, 4),
  ]);
  assert.equal(seen.size, 6);
  assert.throws(() => deriveSeed(1.5), RangeError);
});

test('nextInt stays in range and is roughly uniform; nextFloat is in [0, 1)', () => {
  const rng = new Rng(3);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 50_000; i++) {
    const k = rng.nextInt(10);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
    counts[k]!++;
  }
  // Each bucket expects 5,000 with standard deviation ~67; 400 is a six-sigma band.
  for (const c of counts) assert.ok(Math.abs(c - 5000) < 400, `bucket count ${c}`);
  for (let i = 0; i < 1000; i++) {
    const f = rng.nextFloat();
    assert.ok(f >= 0 && f < 1);
  }
  assert.throws(() => rng.nextInt(0), RangeError);
});

test('permutations are permutations, repeat per seed and differ across seeds', () => {
  const p = permutation(1000, 5);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(permutation(1000, 5), p);
  assert.notDeepEqual(permutation(1000, 6), p);
  // A shuffle leaves few elements in place (expected 1 for a uniform permutation).
  assert.ok([...p].filter((v, i) => v === i).length < 10);
  assert.deepEqual(shuffleInPlace([] as number[], new Rng(1)), []);
});
