import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { JS_BACKENDS, useBackend } from './grad-check.js';

test('unsortedSegmentSum on wasm adds duplicate ids and drops out-of-range ones, like cpu', async () => {
  // Rows 0 and 3 go to segment 0, row 1 to segment 2; rows 2 (id -1) and 4 (id 3) are dropped.
  const expected = [4 + 9, 5 + 10, 0, 0, 1, 2];
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const ids = tf.tensor1d([0, 2, -1, 0, 3], 'int32');
    const rows = tf.tensor2d([4, 5, 1, 2, 100, 100, 9, 10, 200, 200], [5, 2]);
    const sums = tf.unsortedSegmentSum(rows, ids, 3);
    assert.deepEqual(Array.from(sums.dataSync()), expected, backend);
    tf.dispose([ids, rows, sums]);
    assert.equal(tf.memory().numTensors, before, `${backend} leaks no tensors`);
  }
});

test('gather with batchDims 1 picks each example its own entry on every backend', async () => {
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    const logits = tf.tensor2d([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], [3, 4]);
    const labels = tf.tensor1d([1, 3, 0], 'int32');
    const picked = tf.gather(logits, labels, 1, 1);
    assert.deepEqual(Array.from(picked.dataSync()), [1, 13, 20], backend);
    const nested = tf.tidy(() =>
      tf.gather(tf.reshape(logits, [3, 2, 2]), tf.tensor2d([1, 0, 0, 0, 1, 1], [3, 2], 'int32'), 2, 1),
    );
    assert.deepEqual(nested.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(nested.dataSync()), [1, 0, 3, 2, 10, 10, 12, 12, 21, 21, 23, 23], backend);
    tf.dispose([logits, labels, picked, nested]);
  }
});
