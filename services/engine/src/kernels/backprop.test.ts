import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { JS_BACKENDS, spreadValues, useBackend } from './grad-check.js';
import { addSameShape, concatParts } from './index.js';

type Gradients = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allow?: boolean,
) => {
  value: tf.Tensor;
  grads: tf.Tensor[];
};
const engine = tf.engine() as unknown as { gradients: Gradients };
// Taken before any backend setup installs the engine's walk: tfjs-core's own.
const tfjsGradients = engine.gradients;

const vector = (n: number, seed: number): tf.Tensor1D => tf.tensor1d(spreadValues(n, seed));

/** Graphs that stress the bookkeeping: reuse, pass-through gradients, several outputs, custom gradients. */
const graphs: Array<{ name: string; inputs: () => tf.Tensor[]; f: (...xs: tf.Tensor[]) => tf.Tensor }> = [
  {
    name: 'an input used several times, with a broadcast',
    inputs: () => [vector(6, 1), vector(3, 2)],
    f: (a, b) =>
      tf.sum(
        tf.mul(
          tf.add(tf.reshape(a as tf.Tensor, [2, 3]), b as tf.Tensor),
          tf.reshape(tf.square(a as tf.Tensor), [2, 3]),
        ),
      ),
  },
  {
    name: 'identity-like gradients that pass dy through (clone, same-shape add, concat)',
    inputs: () => [vector(4, 3), vector(4, 4)],
    f: (a, b) => {
      const s = addSameShape(tf.clone(a as tf.Tensor), b as tf.Tensor);
      const c = concatParts([s, a as tf.Tensor, s], 0);
      return tf.sum(tf.mul(c, c));
    },
  },
  {
    name: 'multiple outputs, one of them unused (split, unstack)',
    inputs: () => [vector(6, 5)],
    f: (a) => {
      const [p, , r] = tf.split(a as tf.Tensor, 3) as [tf.Tensor, tf.Tensor, tf.Tensor];
      const [u] = tf.unstack(tf.reshape(a as tf.Tensor, [2, 3])) as [tf.Tensor];
      return tf.sum(tf.mul(tf.add(p, r), tf.sum(u)));
    },
  },
  {
    name: 'a deep chain of relus and convs',
    inputs: () => [
      tf.tensor4d(spreadValues(2 * 5 * 5 * 3, 6), [2, 5, 5, 3]),
      tf.tensor4d(spreadValues(27 * 3, 7), [3, 3, 3, 3]),
    ],
    f: (x, w) => {
      let h = x as tf.Tensor4D;
      for (let i = 0; i < 4; i++) h = tf.relu(tf.conv2d(h, w as tf.Tensor4D, 1, 'same'));
      return tf.mean(h);
    },
  },
];

for (const backend of JS_BACKENDS) {
  test(`on ${backend}, the freeing walk gives tfjs's gradients and leaks nothing`, async () => {
    await useBackend(backend);
    assert.notEqual(engine.gradients, tfjsGradients, 'the engine walk is installed');
    for (const g of graphs) {
      const inputs = g.inputs();
      const before = tf.memory().numTensors;
      const ours = engine.gradients(() => g.f(...inputs), inputs);
      const oursValues = ours.grads.map((t) => Array.from(t.dataSync()));
      tf.dispose([ours.value, ...ours.grads]);
      assert.equal(tf.memory().numTensors, before, `${g.name}: no leak`);
      const theirs = tfjsGradients.call(engine, () => g.f(...inputs), inputs);
      assert.deepEqual(
        oursValues,
        theirs.grads.map((t) => Array.from(t.dataSync())),
        g.name,
      );
      tf.dispose([theirs.value, ...theirs.grads, ...inputs]);
    }
  });
}

test('a caller-given dy is left alone, and unconnected inputs get no gradient when allowed', async () => {
  await useBackend('wasm');
  const [a, b] = [vector(3, 8), vector(3, 9)];
  const dy = tf.tensor1d([1, 2, 3]);
  const { value, grads } = engine.gradients(() => tf.mul(a, 2), [a, b], dy, true);
  assert.deepEqual(Array.from(grads[0]?.dataSync() ?? []), [2, 4, 6]);
  assert.equal(grads[1], undefined);
  assert.deepEqual(Array.from(dy.dataSync()), [1, 2, 3], 'dy is still readable');
  tf.dispose([value, ...grads.filter((t) => t), a, b, dy]);
});

test('during the backward pass, spent gradients and saved tensors are freed node by node', async () => {
  await useBackend('wasm');
  const x = tf.tensor2d(spreadValues(64 * 64, 10), [64, 64]);
  // Records the live tensor count when the walk reaches the first layer (the deepest point of the backward pass).
  let liveAtBottom = 0;
  const probe = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      liveAtBottom = tf.memory().numTensors;
      return dy;
    },
  }));
  const f = (): tf.Tensor => {
    let h = probe(x as tf.Tensor) as tf.Tensor;
    for (let i = 0; i < 30; i++) h = tf.relu(tf.sub(tf.mul(h, 1.01), 0.001));
    return tf.sum(h);
  };
  const measure = (walk: Gradients): number => {
    const { value, grads } = walk.call(engine, f, [x]);
    tf.dispose([value, ...grads]);
    return liveAtBottom;
  };
  const ours = measure(engine.gradients);
  const theirs = measure(tfjsGradients);
  assert.ok(ours < theirs / 4, `live tensors at the bottom of the walk: ${ours} (tfjs: ${theirs})`);
  x.dispose();
});
