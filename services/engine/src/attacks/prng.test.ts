import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mixSeeds, Prng } from './prng.js';

const draw = (seed: number, count: number): number[] => {
  const rng = new Prng(seed);
  return Array.from({ length: count }, () => rng.nextUint32());
};

test('the same seed gives the same stream; different seeds differ', () => {
  assert.deepEqual(draw(42, 100), draw(42, 100));
  assert.notDeepEqual(draw(42, 100), draw(43, 100));
  assert.notDeepEqual(draw(1, 100), draw(1 + 2 ** 32, 100));
});

test('uniform floats lie in [0, 1) with a mean near 1/2; int(n) covers [0, n) evenly', () => {
  const rng = new Prng(7);
  let sum = 0;
  for (let i = 0; i < 20000; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[rng.int(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `bucket count ${c}`);
  let plus = 0;
  for (let i = 0; i < 10000; i++) if (rng.sign() === 1) plus++;
  assert.ok(Math.abs(plus - 5000) < 250);
});

test('mixSeeds is deterministic, order-sensitive and within 31 bits', () => {
  assert.equal(mixSeeds(1, 2, 3), mixSeeds(1, 2, 3));
  assert.notEqual(mixSeeds(1, 2, 3), mixSeeds(1, 3, 2));
  assert.notEqual(mixSeeds(0, 0, 0), mixSeeds(0, 0, 1));
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const s = mixSeeds(5, i);
    assert.ok(s >= 0 && s < 2 ** 31);
    seen.add(s);
  }
  assert.equal(seen.size, 1000);
});
