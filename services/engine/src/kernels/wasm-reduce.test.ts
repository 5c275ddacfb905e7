import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { assertClose, onEachBackend, spreadValues, useBackend } from './grad-check.js';

/** `exact`: one block of axes, which the engine's kernel reduces as the cpu backend does, to the bit. */
const cases: Array<{ name: string; shape: number[]; exact: boolean; f: (x: tf.Tensor) => tf.Tensor }> = [
  { name: 'sum over N, H, W (per channel)', shape: [3, 4, 5, 6], exact: true, f: (x) => tf.sum(x, [0, 1, 2]) },
  { name: 'sum over N, H, W, kept dims', shape: [3, 4, 5, 6], exact: true, f: (x) => tf.sum(x, [2, 0, 1], true) },
  { name: 'mean over N, H, W', shape: [3, 4, 5, 6], exact: true, f: (x) => tf.mean(x, [0, 1, 2]) },
  { name: 'mean over H, W (global pooling)', shape: [3, 4, 5, 6], exact: true, f: (x) => tf.mean(x, [1, 2]) },
  { name: 'sum over rows of a matrix', shape: [50, 7], exact: true, f: (x) => tf.sum(x, 0) },
  { name: 'sum over a middle axis', shape: [4, 9, 3], exact: true, f: (x) => tf.sum(x, 1, true) },
  { name: 'sum over all axes', shape: [3, 4, 5], exact: true, f: (x) => tf.sum(x) },
  { name: 'mean over the last axis', shape: [3, 4, 5], exact: true, f: (x) => tf.mean(x, -1) },
  { name: 'sum over non-adjacent axes (native kernel)', shape: [3, 4, 5], exact: false, f: (x) => tf.sum(x, [0, 2]) },
  { name: 'long reduction', shape: [64, 32, 32, 2], exact: true, f: (x) => tf.mean(x, [0, 1, 2]) },
];

test("wasm sums and means equal the cpu backend's", async () => {
  for (const c of cases) {
    const out = await onEachBackend(() => {
      const y = tf.tidy(() => c.f(tf.tensor(spreadValues(tf.util.sizeFromShape(c.shape), 11, 0.3), c.shape)));
      const result = { shape: y.shape, values: y.dataSync() as Float32Array };
      y.dispose();
      return result;
    }, c.name);
    assert.deepEqual(out.wasm.shape, out.cpu.shape, c.name);
    if (c.exact) assert.deepEqual(Array.from(out.wasm.values), Array.from(out.cpu.values), c.name);
    else assertClose(out.wasm.values, out.cpu.values, 1e-5, 1e-5, c.name);
  }
});

test('int32 sums stay exact on wasm', async () => {
  await useBackend('wasm');
  const x = tf.tensor3d(
    Int32Array.from({ length: 24 }, (_, i) => i - 5),
    [2, 3, 4],
    'int32',
  );
  const s = tf.sum(x, [0, 1]);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(s.dataSync()), [30, 36, 42, 48]);
  tf.dispose([x, s]);
});
