import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { assertClose, checkGradients, checkOnEachBackend, spreadValues, useBackend } from './grad-check.js';
import { WEIGHTED_SUM, weightedSum } from './weighted-sum.js';

const cases = [
  { name: 'three terms, one group', shape: [2, 3, 3, 2], terms: 3, groups: 1 },
  { name: 'two terms, two groups', shape: [4, 2, 3, 3], terms: 2, groups: 2 },
  { name: 'one term, three groups', shape: [3, 2, 2, 1], terms: 1, groups: 3 },
];

for (const c of cases) {
  test(`weightedSum (${c.name}): gradients vs finite differences, wasm kernel vs cpu`, async (t) => {
    const weights = spreadValues(c.groups * c.terms, 40).map((v) => v + 0.25);
    const f = (...xs: tf.Tensor[]): tf.Tensor => weightedSum(xs as tf.Tensor4D[], weights);
    // On wasm the terms are mixed by its kernel, on cpu by multiplies and addN.
    await checkOnEachBackend(t, (backend) => {
      if (backend === 'wasm') assert.ok(tf.getKernel(WEIGHTED_SUM, 'wasm'), 'the wasm backend has the kernel');
      return checkGradients(
        f,
        Array.from({ length: c.terms }, () => ({ shape: c.shape })),
      );
    });
  });
}

test('weightedSum on wasm over chunks and a partial vector equals the composed version, both ways', async () => {
  // 2 groups of 1105 floats: one whole chunk of 1024 and a remainder of 81 (not a multiple of 4).
  const shape: [number, number, number, number] = [2, 17, 13, 5];
  const terms = 5;
  const weights = spreadValues(2 * terms, 41);
  const run = (): Float32Array[] => {
    const xs = Array.from({ length: terms }, (_, i) =>
      tf.tensor4d(spreadValues(tf.util.sizeFromShape(shape), 50 + i), shape),
    );
    const dy = tf.tensor4d(spreadValues(tf.util.sizeFromShape(shape), 60), shape);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.engine().gradients(() => tf.sum(tf.mul(weightedSum(xs, weights), dy)), xs);
    const out = [value, ...grads].map((g) => g.dataSync() as Float32Array);
    tf.dispose([value, ...grads]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    tf.dispose([...xs, dy]);
    return out;
  };
  await useBackend('wasm');
  const kernel = run();
  const saved = tf.getKernel(WEIGHTED_SUM, 'wasm');
  assert.ok(saved);
  tf.unregisterKernel(WEIGHTED_SUM, 'wasm');
  try {
    run().forEach((values, i) => assertClose(kernel[i] ?? [], values, 1e-5, 1e-5, `output ${i}`));
  } finally {
    tf.registerKernel(saved);
  }
});

test('weightedSum rejects mismatched shapes, weights and groups', async () => {
  await useBackend('cpu');
  const a = tf.zeros([2, 2, 2, 1]) as tf.Tensor4D;
  const b = tf.zeros([2, 2, 2, 2]) as tf.Tensor4D;
  assert.throws(() => weightedSum([a, b], new Float32Array(2)), /shapes/);
  assert.throws(() => weightedSum([a, a], new Float32Array(3)), /3 weights for 2 terms/);
  assert.throws(() => weightedSum([a], new Float32Array(3)), /batch of 2 in 3 groups/);
  assert.throws(() => weightedSum([], new Float32Array(0)), /at least one term/);
  tf.dispose([a, b]);
});
