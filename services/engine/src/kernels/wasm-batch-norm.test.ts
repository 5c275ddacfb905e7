import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { spreadValues, useBackend } from './grad-check.js';

/** tf.batchNorm on the active backend with per-channel (or scalar-like) parameters. */
function run(withScale: boolean, withOffset: boolean, paramLength: number): number[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      spreadValues(2 * 3 * 4 * 5, 8).map((v) => 4 * v + 1),
      [2, 3, 4, 5],
    );
    const p = (seed: number, shift: number): tf.Tensor1D =>
      tf.tensor1d(spreadValues(paramLength, seed).map((v) => v + shift));
    const y = tf.batchNorm4d(
      x,
      p(1, 0),
      p(2, 1.5),
      withOffset ? p(3, 0) : undefined,
      withScale ? p(4, 1) : undefined,
      1e-3,
    );
    return Array.from(y.dataSync());
  });
}

test("wasm batch norm gives the cpu backend's values to the bit", async () => {
  for (const [withScale, withOffset, length] of [
    [true, true, 5],
    [false, true, 5],
    [true, false, 5],
    [false, false, 5],
    [true, true, 1],
  ] as const) {
    await useBackend('cpu');
    const expected = run(withScale, withOffset, length);
    await useBackend('wasm');
    assert.deepEqual(
      run(withScale, withOffset, length),
      expected,
      `scale ${withScale} offset ${withOffset} length ${length}`,
    );
  }
});
