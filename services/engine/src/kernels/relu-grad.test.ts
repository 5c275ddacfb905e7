import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, checkOnEachBackend, onEachBackend, spreadValues } from './grad-check.js';
import { RELU_GRAD, reluGrad } from './relu-grad.js';

test('the ReLU gradient kernel passes dy where y > 0 and +0 elsewhere, on cpu and wasm alike', async () => {
  // 4 x 7 x 3 = 84 elements, and 7 (a partial SIMD vector); y has zeros, negatives and positives.
  for (const shape of [[4, 7, 3], [7]]) {
    const size = tf.util.sizeFromShape(shape);
    const yValues = spreadValues(size, 3).map((v, i) => (i % 5 === 0 ? 0 : v));
    const dyValues = spreadValues(size, 4);
    const expected = Array.from(dyValues, (d, i) => ((yValues[i] as number) > 0 ? d : 0));
    const results = await onEachBackend((backend) => {
      assert.ok(tf.getKernel(RELU_GRAD, backend), `${backend} has the kernel`);
      return tf.tidy(() => Array.from(reluGrad(tf.tensor(dyValues, shape), tf.tensor(yValues, shape)).dataSync()));
    });
    assert.deepEqual(results.cpu, expected);
    assert.deepEqual(results.wasm, expected);
  }
});

test('relu gradients, first and second order, match finite differences on cpu and wasm', async (t) => {
  const shape = [2, 5, 3, 3];
  await checkOnEachBackend(t, () => checkGradients((x) => tf.relu(x), [{ shape }]));
  // d/dx of sum(w * relu'(x) * x) through the kernel's own gradient: relu'(x) is piecewise constant.
  const input = (x: tf.Tensor): tf.Tensor => tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.relu(v))))(x);
  await checkOnEachBackend(t, () => checkGradients(input, [{ shape }]));
});
