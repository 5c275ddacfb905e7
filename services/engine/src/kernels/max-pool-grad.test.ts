import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { JS_BACKENDS, assertClose, checkGradients, random, spreadValues, useBackend } from './grad-check.js';

type Shape4 = [number, number, number, number];

interface Pool {
  k: [number, number];
  s: [number, number];
  /** Explicit padding on every side (the network's pools), or TF's 'same'. */
  pad: number | 'same';
}

/** Output size and top/left padding of a pool (TF's rule for 'same': the odd pixel of padding goes last). */
function geometry([, h, wd]: Shape4, pool: Pool): { ho: number; wo: number; t: number; l: number } {
  const [kh, kw] = pool.k;
  const [sh, sw] = pool.s;
  if (pool.pad !== 'same') {
    const p = pool.pad;
    return { ho: Math.floor((h + 2 * p - kh) / sh) + 1, wo: Math.floor((wd + 2 * p - kw) / sw) + 1, t: p, l: p };
  }
  const [ho, wo] = [Math.ceil(h / sh), Math.ceil(wd / sw)];
  return {
    ho,
    wo,
    t: Math.floor(Math.max((ho - 1) * sh + kh - h, 0) / 2),
    l: Math.floor(Math.max((wo - 1) * sw + kw - wd, 0) / 2),
  };
}

function outputSize(shape: Shape4, pool: Pool): number {
  const { ho, wo } = geometry(shape, pool);
  return shape[0] * ho * wo * shape[3];
}

/**
 * d sum(w * maxpool(x)) / dx by direct evaluation: each window's weight goes to the first of its real cells, in
 * row-major order, holding the largest value (TensorFlow's tie rule); padding cells are never candidates.
 */
function reference(x: Float32Array, w: Float32Array, shape: Shape4, pool: Pool): Float32Array {
  const [n, h, wd, c] = shape;
  const [kh, kw] = pool.k;
  const [sh, sw] = pool.s;
  const { ho, wo, t, l } = geometry(shape, pool);
  const grad = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          let [best, at] = [-Infinity, -1];
          for (let r = i * sh - t; r < i * sh - t + kh; r++)
            for (let q = j * sw - l; q < j * sw - l + kw; q++) {
              if (r < 0 || q < 0 || r >= h || q >= wd) continue;
              const k = ((b * h + r) * wd + q) * c + ch;
              if ((x[k] as number) > best) [best, at] = [x[k] as number, k];
            }
          grad[at] = (grad[at] as number) + (w[((b * ho + i) * wo + j) * c + ch] as number);
        }
  return grad;
}

/** Gradient of sum(w * maxpool(x)) on the active backend, leaking no tensors. */
function gradient(x: Float32Array, w: Float32Array, shape: Shape4, pool: Pool): Float32Array {
  const before = tf.memory().numTensors;
  const result = tf.tidy(() => {
    const f = (v: tf.Tensor): tf.Tensor4D => tf.maxPool(v as tf.Tensor4D, pool.k, pool.s, pool.pad);
    const xt = tf.tensor4d(x, shape);
    const wt = tf.tensor(w, f(xt).shape);
    return tf
      .grad((v: tf.Tensor) => tf.sum(tf.mul(f(v), wt)))(xt)
      .dataSync() as Float32Array;
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  return result;
}

const inputs: Record<string, (size: number) => Float32Array> = {
  'all negative (x - 5)': (size) => spreadValues(size, 11).map((v) => v - 5),
  'mixed signs': (size) => spreadValues(size, 12),
  // Few distinct values, so most windows hold their maximum more than once.
  'ties (integers -3..0)': (size) => {
    const next = random(13);
    return Float32Array.from({ length: size }, () => Math.floor(next() * 4) - 3);
  },
  'ties at zero (ReLU-like)': (size) => {
    const next = random(14);
    return Float32Array.from({ length: size }, () => Math.max(0, next() - 0.7));
  },
};

const pools: Record<string, Pool> = {
  '3x3 stride 1 pad 1': { k: [3, 3], s: [1, 1], pad: 1 },
  '3x3 stride 2 pad 1': { k: [3, 3], s: [2, 2], pad: 1 },
  "2x3 stride (2, 1) 'same'": { k: [2, 3], s: [2, 1], pad: 'same' },
  '2x2 stride 2 pad 0': { k: [2, 2], s: [2, 2], pad: 0 },
};

for (const [poolName, pool] of Object.entries(pools)) {
  for (const [inputName, make] of Object.entries(inputs)) {
    test(`max pool ${poolName}, ${inputName}: gradient on cpu and wasm equals direct evaluation`, async () => {
      // Channels not a multiple of 4 take the SIMD kernel's scalar path, multiples of 4 its vector path.
      for (const shape of [
        [2, 6, 5, 3],
        [1, 7, 8, 2],
        [1, 6, 5, 4],
        [2, 5, 7, 8],
      ] as Shape4[]) {
        const x = make(tf.util.sizeFromShape(shape));
        const w = spreadValues(outputSize(shape, pool), 5, 0.25);
        const expected = reference(x, w, shape, pool);
        for (const backend of JS_BACKENDS) {
          await useBackend(backend);
          const actual = gradient(x, w, shape, pool);
          // wasm adds each window's dy in output order, as the reference does in float32: the same bits.
          if (backend === 'wasm') assert.deepEqual(actual, expected, `wasm [${shape}]`);
          else assertClose(actual, expected, 1e-6, 1e-6, `${backend} [${shape}]`);
        }
      }
    });
  }
}

test('max pool 3x3 of x - 5 passes all of dy on (the wasm kernel of tfjs 4.22 passes almost none)', async () => {
  const shape: Shape4 = [2, 6, 6, 2];
  const x = spreadValues(tf.util.sizeFromShape(shape), 3).map((v) => v - 5);
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    for (const s of [1, 2] as const) {
      const pool: Pool = { k: [3, 3], s: [s, s], pad: 1 };
      const dy = spreadValues(outputSize(shape, pool), 4).map((v) => v + 1.5);
      const total = gradient(x, dy, shape, pool).reduce((a, v) => a + v, 0);
      const expected = dy.reduce((a, v) => a + v, 0);
      assert.ok(Math.abs(total - expected) < 1e-4, `${backend} stride ${s}: sum(dx) ${total} != sum(dy) ${expected}`);
    }
  }
});

test('max pool gradients on negative and mixed inputs match finite differences on wasm', async () => {
  await useBackend('wasm');
  for (const s of [1, 2] as const) {
    for (const [offset, shape] of [
      [0, [1, 5, 6, 2]],
      [-5, [1, 5, 6, 2]],
      [-5, [1, 4, 5, 4]],
    ] as Array<[number, Shape4]>) {
      const values = spreadValues(tf.util.sizeFromShape(shape), 21).map((v) => v + offset);
      checkGradients((x) => tf.maxPool(x as tf.Tensor4D, 3, s, 1), [{ shape, values }]);
    }
  }
});

test('the wasm kernel rejects a dy whose shape does not match the pool', async () => {
  await useBackend('wasm');
  const x = tf.zeros([1, 4, 4, 1]);
  const y = tf.maxPool(x as tf.Tensor4D, 3, 1, 1);
  const dy = tf.zeros([1, 2, 2, 1]);
  assert.throws(
    () => tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 3, strides: 1, pad: 1 }),
    /MaxPoolGrad: dy has shape \[1, 2, 2, 1\], expected \[1, 4, 4, 1\]/,
  );
  tf.dispose([x, y, dy]);
});
