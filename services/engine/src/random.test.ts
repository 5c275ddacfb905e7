import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, deriveSeedFromParts, permutation, seedFromName, shuffleInPlace } from './random.js';

const draw = (seed: number, count = 16): number[] => {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.nextU32());
};

test('xoshiro128** matches the reference implementation from state {1, 2, 3, 4}', () => {
  // Test vector of Blackman & Vigna's xoshiro128starstar.c (also used by Rust's rand_xoshiro).
  const rng = Rng.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 10 }, () => rng.nextU32());
  assert.deepEqual(
    got,
    [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804],
  );
});

test('seeded generators repeat per seed and differ across seeds, including seeds 2^32 apart', () => {
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(0), draw(1));
  assert.notDeepEqual(draw(1), draw(1 + 2 ** 32));
  assert.notDeepEqual(draw(-1), draw(2 ** 32 - 1));
  assert.throws(() => new Rng(0.5), RangeError);
});

test('deriveSeedFromParts depends on every part and on their order', () => {
  assert.equal(deriveSeedFromParts(1, 2, 3), deriveSeedFromParts(1, 2, 3));
  const seen = new Set([
    deriveSeedFromParts(1, 2, 3),
    deriveSeedFromParts(3, 2, 1),
    deriveSeedFromParts(1, 3, 2),
    deriveSeedFromParts(1, 2),
    deriveSeedFromParts(1, 2, 3, 0),
    deriveSeedFromParts(2, 2, 3),
    deriveSeedFromParts(1, 2, 4),
    deriveSeedFromParts(0, 0, 0),
    deriveSeedFromParts(0, 0, 1),
    deriveSeedFromParts(1 + 2 ** 32, 2, 3),
  ]);
  assert.equal(seen.size, 10);
  assert.throws(() => deriveSeedFromParts(1.5), RangeError);
  assert.throws(() => deriveSeedFromParts(2 ** 53), RangeError);
});

test('deriveSeedFromParts gives uint32 seeds without collisions over a run of batch indices', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const s = deriveSeedFromParts(5, i);
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
    seen.add(s);
  }
  assert.equal(seen.size, 10_000);
});

test('seedFromName depends on the base seed and on every character of the name', () => {
  assert.equal(seedFromName(3, 'cells.0.weight'), seedFromName(3, 'cells.0.weight'));
  const names = ['cells.0.weight', 'cells.0.bias', 'cells.1.weight', 'cells.10.weight', 'cells.0.weigh', ''];
  const seeds = new Set([...names.map((n) => seedFromName(3, n)), ...names.map((n) => seedFromName(4, n))]);
  assert.equal(seeds.size, 2 * names.length);
  // Realistic hierarchical names of a network: all distinct.
  const many = new Set<number>();
  for (let cell = 0; cell < 20; cell++)
    for (let op = 0; op < 14; op++)
      for (const leaf of ['op.1.weight', 'op.2.weight', 'op.3.weight', 'op.3.bias'])
        many.add(seedFromName(0, `cells.${cell}.ops.${op}.${leaf}`));
  assert.equal(many.size, 20 * 14 * 4);
  assert.throws(() => seedFromName(0.5, 'w'), RangeError);
});

test('nextInt stays in range and is roughly uniform; nextFloat is in [0, 1) with mean 1/2', () => {
  const rng = new Rng(3);
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 50_000; i++) {
    const k = rng.nextInt(10);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
    counts[k]!++;
  }
  // Each bucket expects 5,000 with standard deviation ~67; 400 is a six-sigma band.
  for (const c of counts) assert.ok(Math.abs(c - 5000) < 400, `bucket count ${c}`);
  let sum = 0;
  for (let i = 0; i < 20_000; i++) {
    const f = rng.nextFloat();
    assert.ok(f >= 0 && f < 1);
    sum += f;
  }
  // Standard deviation of the mean: sqrt(1/12 / 20000) ~ 0.002.
  assert.ok(Math.abs(sum / 20_000 - 0.5) < 0.01);
  assert.throws(() => rng.nextInt(0), RangeError);
});

test('sign is -1 or +1, about half each; fillUniform stays in [lo, hi] and covers it', () => {
  const rng = new Rng(7);
  let plus = 0;
  for (let i = 0; i < 10_000; i++) {
    const s = rng.sign();
    assert.ok(s === 1 || s === -1);
    if (s === 1) plus++;
  }
  // Standard deviation 50.
  assert.ok(Math.abs(plus - 5000) < 250, `${plus} of 10000 signs are +1`);
  const values = rng.fillUniform(new Float32Array(10_000), -0.25, 0.5);
  assert.ok(values.every((v) => v >= -0.25 && v <= 0.5));
  assert.ok(Math.min(...values) < -0.24 && Math.max(...values) > 0.49);
  assert.deepEqual(
    new Rng(2).fillUniform(new Float32Array(8), 0, 1),
    new Rng(2).fillUniform(new Float32Array(8), 0, 1),
  );
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
