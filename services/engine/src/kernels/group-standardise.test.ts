import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { random, spreadValues, useBackend } from './grad-check.js';
import { composedGroupStandardise, GROUP_STANDARDISE } from './index.js';

type Shape4 = [number, number, number, number];

/** The kernel's and the composed ops' outputs on wasm, as raw bits. */
function both(values: Float32Array, shape: Shape4, groups: number, eps: number): [Int32Array, Int32Array] {
  const x = tf.tensor4d(values, shape);
  const kernel = tf.engine().runKernel(GROUP_STANDARDISE, { x }, { groups, eps }) as tf.Tensor;
  const composed = composedGroupStandardise(x, groups, eps);
  const bits = (t: tf.Tensor): Int32Array => new Int32Array((t.dataSync() as Float32Array).slice().buffer);
  const out: [Int32Array, Int32Array] = [bits(kernel), bits(composed)];
  tf.dispose([x, kernel, composed]);
  return out;
}

test("wasm's group standardisation kernel gives the composed ops' bits", async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const next = random(61);
  const inputs: Record<string, (size: number) => Float32Array> = {
    'spread values': (size) => spreadValues(size, 62),
    'off a large mean': (size) => spreadValues(size, 63).map((v) => 1000 + 3 * v),
    'ReLU-like, with zeros and negative zeros': (size) =>
      Float32Array.from({ length: size }, () => {
        const v = next() - 0.6;
        return v > 0 ? v : next() < 0.5 ? -0 : 0;
      }),
    'a constant channel (zero variance)': (size) =>
      Float32Array.from({ length: size }, (_, i) => (i % 2 ? 0.25 : next())),
  };
  // Channels 1, 2, 3 and 5 (lane periods 4, 4, 12, 20: the JavaScript statistics) and 4, 8, 16, 32 and 36 (the SIMD
  // statistics); one to four groups.
  for (const [shape, groupCounts] of [
    [
      [4, 3, 3, 1],
      [1, 2, 4],
    ],
    [
      [2, 5, 3, 2],
      [1, 2],
    ],
    [
      [4, 2, 3, 3],
      [1, 4],
    ],
    [
      [8, 4, 4, 4],
      [1, 2, 4],
    ],
    [
      [2, 3, 7, 5],
      [1, 2],
    ],
    [
      [6, 7, 7, 8],
      [1, 3],
    ],
    [
      [4, 6, 6, 36],
      [1, 2],
    ],
    [
      [4, 5, 5, 16],
      [1, 2, 4],
    ],
    [
      [2, 9, 9, 32],
      [1, 2],
    ],
  ] as Array<[Shape4, number[]]>) {
    for (const [name, make] of Object.entries(inputs)) {
      const values = make(tf.util.sizeFromShape(shape));
      for (const groups of groupCounts) {
        for (const eps of [1e-5, 1e-3]) {
          const [kernel, composed] = both(values, shape, groups, eps);
          assert.deepEqual(kernel, composed, `${name}, [${shape.join(', ')}], ${groups} groups, eps ${eps}`);
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
});
