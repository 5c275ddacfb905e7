import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { onEachBackend, spreadValues, useBackend } from './grad-check.js';

type Op = () => tf.Tensor | tf.Tensor[];

/** Runs `op` on cpu and on wasm and expects identical values, shapes and dtypes (copies are exact). */
async function sameOnBothBackends(name: string, make: () => Op): Promise<void> {
  const results = await onEachBackend(() => {
    const out = tf.tidy(make());
    const list = Array.isArray(out) ? out : [out];
    const values = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }));
    tf.dispose(list);
    return values;
  }, name);
  assert.deepEqual(results.wasm, results.cpu, name);
}

const floats = (...shape: number[]): tf.Tensor => tf.tensor(spreadValues(tf.util.sizeFromShape(shape), 5), shape);
const ints = (...shape: number[]): tf.Tensor =>
  tf.tensor(
    Int32Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i * 7 - 40),
    shape,
    'int32',
  );
const bools = (...shape: number[]): tf.Tensor => tf.greater(floats(...shape), 0);

test('slice of every rank, partial and full axes, every dtype', async () => {
  const cases: Array<[string, Op]> = [
    ['channel slice (short runs)', () => tf.slice(floats(2, 3, 4, 6), [0, 0, 0, 2], [2, 3, 4, 3])],
    ['spatial crop (merged runs)', () => tf.slice(floats(2, 5, 5, 3), [0, 1, 1, 0], [2, 3, 4, 3])],
    ['long runs (>= 64 elements)', () => tf.slice(floats(3, 70, 2), [1, 3, 0], [2, 66, 2])],
    ['batch rows (one contiguous run)', () => tf.slice(floats(4, 3, 3, 2), [1, 0, 0, 0], [2, 3, 3, 2])],
    ['rank 1', () => tf.slice(floats(10), 3, 4)],
    ['rank 5', () => tf.slice(floats(2, 3, 2, 3, 4), [1, 0, 1, 1, 1], [1, 2, 1, 2, 2])],
    ['size -1', () => tf.slice(floats(3, 4), [1, 1], [-1, -1])],
    ['empty', () => tf.slice(floats(3, 4), [1, 1], [0, 2])],
    ['int32', () => tf.slice(ints(3, 4, 5), [1, 1, 1], [2, 2, 3])],
    ['bool', () => tf.slice(bools(3, 4, 5), [0, 1, 2], [3, 3, 2])],
  ];
  for (const [name, op] of cases) await sameOnBothBackends(name, () => op);
});

test('split along each axis, equal and unequal parts', async () => {
  const cases: Array<[string, Op]> = [
    ['4 channel groups', () => tf.split(floats(2, 3, 3, 8), 4, 3)],
    ['unequal channels', () => tf.split(floats(2, 3, 3, 7), [2, 4, 1], 3)],
    ['rows', () => tf.split(floats(2, 6, 3, 2), [1, -1], 1)],
    ['batch', () => tf.split(ints(4, 2, 3), 2, 0)],
    ['bool', () => tf.split(bools(2, 6), 3, 1)],
  ];
  for (const [name, op] of cases) await sameOnBothBackends(name, () => op);
});

test('concat along each axis, with empty parts and every dtype', async () => {
  const cases: Array<[string, Op]> = [
    ['channels', () => tf.concat([floats(2, 3, 3, 2), floats(2, 3, 3, 5), floats(2, 3, 3, 1)], 3)],
    ['rows', () => tf.concat([floats(2, 1, 3, 2), floats(2, 4, 3, 2)], 1)],
    ['batch', () => tf.concat([floats(1, 3, 3, 2), floats(2, 3, 3, 2)], 0)],
    ['long runs', () => tf.concat([floats(2, 80), floats(2, 70)], 1)],
    ['with an empty part', () => tf.concat([floats(2, 0), floats(2, 3)], 1)],
    ['int32', () => tf.concat([ints(2, 3), ints(2, 2)], 1)],
    ['bool', () => tf.concat([bools(2, 3), bools(1, 3)], 0)],
  ];
  for (const [name, op] of cases) await sameOnBothBackends(name, () => op);
});

test('clone on wasm shares memory, and the shared data outlives either tensor', async () => {
  await useBackend('wasm');
  const before = tf.memory() as tf.MemoryInfo & { numDataBuffers: number };
  const buffers = (): number => (tf.memory() as tf.MemoryInfo & { numDataBuffers: number }).numDataBuffers;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(buffers() - before.numDataBuffers, 1, 'one buffer for both tensors');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  const z = tf.add(y, 1);
  y.dispose();
  assert.deepEqual(Array.from(z.dataSync()), [2, 3, 4]);
  z.dispose();
  assert.equal(buffers(), before.numDataBuffers);
  assert.equal(tf.memory().numTensors, before.numTensors);
});

test('gather (batchDims 0) and tile along the first axis on wasm copy exactly what cpu gives, for every dtype', async () => {
  const cases: Array<{ name: string; run: () => tf.Tensor }> = [];
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    const x = (): tf.Tensor =>
      tf.tensor(
        Array.from({ length: 5 * 3 * 2 * 4 }, (_, i) =>
          dtype === 'bool' ? Number(i % 3 === 0) : dtype === 'int32' ? i - 7 : i / 7 - 3,
        ),
        [5, 3, 2, 4],
        dtype,
      );
    // Runs of consecutive rows, repeats, reversals, an empty index list, and a 2-D index.
    const indexLists: Array<[number[], number[]]> = [
      [[0, 1, 2, 3, 4], [5]],
      [[2, 3, 4, 0, 1, 1, 1], [7]],
      [[4, 3, 2, 1, 0], [5]],
      [[], [0]],
      [
        [1, 2, 0, 4],
        [2, 2],
      ],
    ];
    for (const axis of [0, 1, 2, 3]) {
      for (const [ids, shape] of indexLists) {
        const valid = ids.map((id) => id % ([5, 3, 2, 4][axis] as number));
        cases.push({
          name: `${dtype} gather [${valid.join(' ')}] along axis ${axis}`,
          run: () => tf.tidy(() => tf.gather(x(), tf.tensor(valid, shape, 'int32'), axis)),
        });
      }
    }
    for (const reps of [
      [1, 1, 1, 1],
      [3, 1, 1, 1],
      [2, 2, 1, 1],
      [1, 1, 1, 2],
    ]) {
      cases.push({ name: `${dtype} tile [${reps.join(' ')}]`, run: () => tf.tidy(() => tf.tile(x(), reps)) });
    }
    cases.push({ name: `${dtype} 1-D tile`, run: () => tf.tidy(() => tf.tile(tf.reshape(x(), [-1]), [4])) });
  }
  const results = await onEachBackend(() =>
    cases.map(({ run }) => {
      const t = run();
      const out = { shape: t.shape, values: Array.from(t.dataSync() as ArrayLike<number>) };
      t.dispose();
      return out;
    }),
  );
  cases.forEach(({ name }, i) => assert.deepEqual(results.wasm[i], results.cpu[i], name));
});

test('gather on wasm rejects an index outside the axis, as cpu does, and leaks nothing', async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  for (const bad of [2, -1]) {
    const ids = tf.tensor1d([0, bad], 'int32');
    assert.throws(() => tf.gather(x, ids, 0), /index/);
    ids.dispose();
  }
  x.dispose();
  assert.equal(tf.memory().numTensors, before);
});
