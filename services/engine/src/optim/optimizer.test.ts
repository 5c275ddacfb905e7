import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { JS_BACKENDS, spreadValues } from '../kernels/grad-check.js';
import { useBackend } from '../nn/test-util.js';
import { clipGradNorm, gradientClip, Sgd } from './optimizer.js';

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++)
    assert.ok(
      Math.abs((actual[i] as number) - (expected[i] as number)) <= tol,
      `[${i}] ${actual[i]} != ${expected[i]}`,
    );
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`SGD with momentum and weight decay follows PyTorch's update by hand (${backend})`, async () => {
    await useBackend(backend);
    const w = tf.variable(tf.tensor1d([1, -2]));
    const frozen = tf.variable(tf.tensor1d([5]));
    const sgd = new Sgd(
      [
        ['w', w],
        ['frozen', frozen],
      ],
      { momentum: 0.9, weightDecay: 0.01 },
    );
    const before = tf.memory().numTensors;
    const g1 = tf.tensor1d([0.5, 0.25]);
    sgd.step(new Map([['w', g1]]), 0.1);
    // d = g + 0.01 w = [0.51, 0.23]; first step: buf = d; w = w - 0.1 buf
    close(w.dataSync(), [0.949, -2.023]);
    const g2 = tf.tensor1d([-1, 2]);
    sgd.step(new Map([['w', g2]]), 0.1);
    // d = [-1 + 0.00949, 2 - 0.02023]; buf = 0.9 [0.51, 0.23] + d = [-0.53151, 2.18677]
    close(w.dataSync(), [1.002151, -2.241677]);
    close(sgd.namedBuffers()[0]![1].dataSync(), [-0.53151, 2.18677]);
    sgd.step(new Map([['w', g2]]), 0.01);
    // d = [-1 + 0.01002151, 2 - 0.02241677]; buf = 0.9 buf + d; w -= 0.01 buf
    const buf = [-0.9 * 0.53151 - 1 + 0.01002151, 0.9 * 2.18677 + 2 - 0.02241677];
    close(w.dataSync(), [1.002151 - 0.01 * buf[0]!, -2.241677 - 0.01 * buf[1]!]);
    assert.deepEqual(Array.from(frozen.dataSync()), [5], 'a parameter without a gradient is left alone');
    assert.deepEqual(
      sgd.namedBuffers().map(([name]) => name),
      ['w'],
    );
    // One buffer was created (once); the steps themselves leave nothing behind.
    tf.dispose([g1, g2]);
    assert.equal(tf.memory().numTensors, before + 1);
    sgd.dispose();
    tf.dispose([w, frozen]);
  });
}

test('SGD without momentum is plain gradient descent with decay', async () => {
  await useBackend('cpu');
  const w = tf.variable(tf.tensor1d([2]));
  const sgd = new Sgd([['w', w]], { momentum: 0, weightDecay: 0.5 });
  sgd.step(new Map([['w', tf.tensor1d([1])]]), 0.1);
  close(w.dataSync(), [2 - 0.1 * (1 + 1)]);
  assert.equal(sgd.namedBuffers().length, 0);
  assert.throws(() => sgd.step(new Map([['nope', tf.tensor1d([1])]]), 0.1), /no parameter named nope/);
  assert.throws(() => new Sgd([['w', w]], { momentum: 1 }), /momentum/);
  w.dispose();
});

test('restored momentum buffers continue exactly where the original optimiser was', async () => {
  await useBackend('cpu');
  const grads = [tf.tensor2d([[0.3, -0.7]]), tf.tensor2d([[-0.2, 0.1]]), tf.tensor2d([[0.05, 0.4]])];
  const a = tf.variable(tf.tensor2d([[0.5, 1.5]]));
  const sgdA = new Sgd([['a', a]], { momentum: 0.9, weightDecay: 1e-4 });
  for (const g of grads) sgdA.step(new Map([['a', g]]), 0.05);

  const b = tf.variable(tf.tensor2d([[0.5, 1.5]]));
  const sgdB = new Sgd([['b', b]], { momentum: 0.9, weightDecay: 1e-4 });
  sgdB.step(new Map([['b', grads[0]!]]), 0.05);
  const saved = new Map(sgdB.namedBuffers().map(([, v]) => ['c', tf.clone(v)] as const));
  const c = tf.variable(tf.clone(b));
  const sgdC = new Sgd([['c', c]], { momentum: 0.9, weightDecay: 1e-4 });
  sgdC.loadBuffers(saved);
  tf.dispose([...saved.values()]);
  for (const g of grads.slice(1)) sgdC.step(new Map([['c', g]]), 0.05);
  assert.deepEqual(Array.from(c.dataSync()), Array.from(a.dataSync()));
  assert.throws(() => sgdC.loadBuffers(new Map([['c', tf.zeros([3])]])), /shape/);
  assert.throws(() => sgdC.loadBuffers(new Map([['x', tf.zeros([1, 2])]])), /not a parameter/);
  for (const s of [sgdA, sgdB, sgdC]) s.dispose();
  tf.dispose([a, b, c, ...grads]);
});

test('gradient clipping scales by maxNorm / (norm + 1e-6) only when the norm is larger', async () => {
  await useBackend('cpu');
  const grads = new Map<string, tf.Tensor>([
    ['a', tf.tensor1d([3, 0])],
    ['b', tf.tensor2d([[4]])],
  ]);
  const clipped = await clipGradNorm(grads, 1);
  close(clipped.norm.dataSync(), [5]);
  const f = 1 / (5 + 1e-6);
  close(clipped.grads.get('a')!.dataSync(), [3 * f, 0]);
  close(clipped.grads.get('b')!.dataSync(), [4 * f]);
  assert.deepEqual(clipped.grads.get('b')!.shape, [1, 1]);
  const loose = await clipGradNorm(grads, 10);
  assert.deepEqual(Array.from(loose.grads.get('a')!.dataSync()), [3, 0], 'unchanged below the limit');
  await assert.rejects(async () => clipGradNorm(grads, 0), /gradientClip/);
  tf.dispose([...grads.values(), ...clipped.grads.values(), clipped.norm, ...loose.grads.values(), loose.norm]);
});

test("gradientClip and Sgd.step's gradScale give the bits of the composed ops (square, sum, addN, ..., multiply)", async () => {
  // The composed clipping this replaced, kept here as the reference.
  const composed = (grads: Map<string, tf.Tensor>, maxNorm: number): { norm: tf.Scalar; grads: tf.Tensor[] } =>
    tf.tidy(() => {
      const squares = [...grads.values()].map((g) => tf.sum(tf.square(g)));
      const norm = tf.sqrt(tf.addN(squares));
      const factor = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)));
      return { norm: norm as tf.Scalar, grads: [...grads.values()].map((g) => tf.mul(g, factor)) };
    });
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    for (const maxNorm of [0.3, 1e6]) {
      const shapes = [[3, 3, 4, 5], [7], [2, 11]];
      const grads = new Map(
        shapes.map((s, i) => [`p${i}`, tf.tensor(spreadValues(tf.util.sizeFromShape(s), 80 + i), s)]),
      );
      const reference = composed(grads, maxNorm);
      const { norm, factor } = await gradientClip(grads, maxNorm);
      assert.equal(norm, reference.norm.dataSync()[0], `${backend}: norm`);
      // Two optimisers from the same weights: clipped gradients, and the originals with gradScale.
      const run = (gs: Map<string, tf.Tensor>, scale?: number): number[][] => {
        const vars = shapes.map((s, i) => tf.variable(tf.tensor(spreadValues(tf.util.sizeFromShape(s), 90 + i), s)));
        const sgd = new Sgd(
          vars.map((v, i): [string, tf.Variable] => [`p${i}`, v]),
          { momentum: 0.9, weightDecay: 1e-4 },
        );
        sgd.step(gs, 0.1, scale);
        sgd.step(gs, 0.1, scale);
        const out = vars.map((v) => Array.from(v.dataSync()));
        sgd.dispose();
        tf.dispose(vars);
        return out;
      };
      const viaScale = run(grads, factor);
      const viaClipped = run(new Map(reference.grads.map((g, i) => [`p${i}`, g])));
      assert.deepEqual(viaScale, viaClipped, `${backend}, maxNorm ${maxNorm}: the same weights`);
      tf.dispose([...grads.values(), reference.norm, ...reference.grads]);
    }
  }
});
