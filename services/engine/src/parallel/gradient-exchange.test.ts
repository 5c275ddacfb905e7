import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { spreadValues } from '../kernels/grad-check.js';
import { useBackend } from '../nn/test-util.js';
import { clipFromSquares, gradientClip } from '../optim/optimizer.js';
import { createGradientMemory, GradientExchange, shareBoundaries } from './gradient-exchange.js';

test('shareBoundaries gives each rank contiguous whole parameters, about 1/N of the values, covering all', () => {
  assert.deepEqual(shareBoundaries([10, 10, 10, 10], 2), [0, 2, 4]);
  assert.deepEqual(shareBoundaries([10, 10, 10, 10], 1), [0, 4]);
  assert.deepEqual(shareBoundaries([100, 1, 1], 2), [0, 1, 3]);
  // More ranks than parameters: some ranks sum nothing.
  assert.deepEqual(shareBoundaries([5, 5], 4), [0, 1, 1, 2, 2]);
  assert.deepEqual(shareBoundaries([], 3), [0, 0, 0, 0]);
  const sizes = Array.from({ length: 50 }, (_, i) => 1 + ((i * 37) % 23));
  const total = sizes.reduce((a, b) => a + b, 0);
  const first = shareBoundaries(sizes, 3);
  for (let r = 0; r < 3; r++) {
    const share = sizes.slice(first[r], first[r + 1]).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(share - total / 3) <= 23, `rank ${r} sums ${share} of ${total}`);
  }
});

test('the exchange sums every rank in rank order in float64 (rounded once) and its squares give gradientClip', async () => {
  await useBackend('cpu');
  const shapes = [[3, 3, 4, 5], [7], [2, 11], [1], [40]];
  const sizes = shapes.map((s) => tf.util.sizeFromShape(s));
  for (const size of [1, 2, 3]) {
    const memory = createGradientMemory(size, sizes);
    const ranks = Array.from({ length: size }, (_, r) => new GradientExchange(memory, r));
    // Each rank's gradients, of mixed magnitudes so that the summation order shows.
    const parts = ranks.map((_, r) =>
      sizes.map((n, p) => spreadValues(n, 10 * r + p).map((v, i) => v * 10 ** ((i % 5) - 2))),
    );
    ranks.forEach((x, r) => sizes.forEach((_, p) => x.slot(p).set(parts[r]?.[p] as Float32Array)));
    // reduce() without its barriers: every rank's share, then every rank reads.
    for (const x of ranks) x.sumShare();
    const grads = new Map<string, tf.Tensor>();
    sizes.forEach((n, p) => {
      const expected = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let r = 0; r < size; r++) s += parts[r]?.[p]?.[i] as number;
        expected[i] = s;
      }
      for (const x of ranks) assert.deepEqual(x.summed(p), expected, `${size} ranks, parameter ${p}`);
      grads.set(`p${p}`, tf.tensor(expected, shapes[p]));
    });
    for (const maxNorm of [0.3, 1e6]) {
      const expected = await gradientClip(grads, maxNorm);
      for (const x of ranks) assert.deepEqual(clipFromSquares(x.squares, maxNorm), expected, `${size} ranks`);
    }
    tf.dispose([...grads.values()]);
  }
});

test('a rank outside the pool is refused', () => {
  const memory = createGradientMemory(2, [3]);
  assert.throws(() => new GradientExchange(memory, 2), /rank must be in 0\.\.1/);
});
