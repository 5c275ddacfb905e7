import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from './batch-norm.js';
import { assertClose, useBackend } from './test-util.js';

await useBackend('cpu');

// x is [N=2, H=1, W=3, C=2]; channel 0 and channel 1 values in NHWC order.
const X = [1, 10, 2, 20, 3, 30, 4, -10, 6, -20, 8, 0];
const SHAPE: [number, number, number, number] = [2, 1, 3, 2];

/** Per-channel values of X, computed by hand from the layout. */
function channel(c: number): number[] {
  return X.filter((_, i) => i % 2 === c);
}
function mean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}
function biasedVar(v: number[]): number {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
}

function makeBn(affine: boolean): BatchNorm2d {
  const bn = new BatchNorm2d(2, { affine }).initialize(1);
  if (affine) {
    bn.loadState({
      weight: tf.tensor1d([2, 0.5]),
      bias: tf.tensor1d([1, -1]),
      running_mean: tf.tensor1d([0, 0]),
      running_var: tf.tensor1d([1, 1]),
    });
  }
  return bn;
}

test('training mode normalises with batch mean and biased variance, times scale plus shift', () => {
  const bn = makeBn(true);
  const y = tf.tidy(() => bn.forward(tf.tensor4d(X, SHAPE), { training: true }));
  const gamma = [2, 0.5];
  const beta = [1, -1];
  const expected = X.map((v, i) => {
    const c = i % 2;
    const values = channel(c);
    return ((v - mean(values)) / Math.sqrt(biasedVar(values) + 1e-5)) * (gamma[c] as number) + (beta[c] as number);
  });
  assertClose(y.dataSync(), expected, 1e-5, 'y');
  y.dispose();
  bn.dispose();
});

test('training updates running mean and UNBIASED running variance with momentum 0.1, twice', () => {
  const bn = makeBn(true);
  let rm = [0, 0];
  let rv = [1, 1];
  for (let step = 0; step < 2; step++) {
    tf.dispose(bn.forward(tf.tensor4d(X, SHAPE), { training: true }));
    rm = rm.map((r, c) => 0.9 * r + 0.1 * mean(channel(c)));
    rv = rv.map((r, c) => 0.9 * r + 0.1 * ((biasedVar(channel(c)) * 6) / 5));
    assertClose(bn.runningMean.value.dataSync(), rm, 1e-5, `running_mean after step ${step + 1}`);
    assertClose(bn.runningVar.value.dataSync(), rv, 1e-5, `running_var after step ${step + 1}`);
  }
  bn.dispose();
});

test('inference mode normalises with the running statistics and leaves them unchanged', () => {
  const bn = makeBn(true);
  bn.loadState({
    weight: tf.tensor1d([2, 0.5]),
    bias: tf.tensor1d([1, -1]),
    running_mean: tf.tensor1d([3, 5]),
    running_var: tf.tensor1d([4, 100]),
  });
  const y = tf.tidy(() => bn.forward(tf.tensor4d(X, SHAPE), { training: false }));
  const expected = X.map((v, i) =>
    i % 2 === 0 ? ((v - 3) / Math.sqrt(4 + 1e-5)) * 2 + 1 : ((v - 5) / Math.sqrt(100 + 1e-5)) * 0.5 - 1,
  );
  assertClose(y.dataSync(), expected, 1e-5, 'y');
  assertClose(bn.runningMean.value.dataSync(), [3, 5], 0, 'running_mean');
  assertClose(bn.runningVar.value.dataSync(), [4, 100], 0, 'running_var');
  y.dispose();
  bn.dispose();
});

test('non-affine BN has only buffers and outputs the plain standardisation', () => {
  const bn = makeBn(false);
  assert.deepEqual(bn.namedParameters(), []);
  assert.deepEqual(
    bn.namedBuffers().map(([name]) => name),
    ['running_mean', 'running_var'],
  );
  const y = tf.tidy(() => bn.forward(tf.tensor4d(X, SHAPE), { training: true }));
  const expected = X.map((v, i) => {
    const values = channel(i % 2);
    return (v - mean(values)) / Math.sqrt(biasedVar(values) + 1e-5);
  });
  assertClose(y.dataSync(), expected, 1e-5, 'y');
  y.dispose();
  bn.dispose();
});

test('a training forward leaves no tensors behind apart from its output', () => {
  const bn = makeBn(true);
  const x = tf.tensor4d(X, SHAPE);
  const before = tf.memory().numTensors;
  for (const training of [true, false]) {
    const y = bn.forward(x, { training });
    y.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  bn.dispose();
});

test('training on one value per channel is an error, as in PyTorch', () => {
  const bn = makeBn(true);
  const x = tf.ones([1, 1, 1, 2]) as tf.Tensor4D;
  assert.throws(() => bn.forward(x, { training: true }), /more than one value per channel/);
  x.dispose();
  bn.dispose();
});

test('gradients reach scale and shift only; the running statistics are no gradient targets', () => {
  const bn = makeBn(true);
  const x = tf.tensor4d(X, SHAPE);
  const before = tf.memory().numTensors;
  const { grads, value } = tf.variableGrads(() => tf.sum(tf.square(bn.forward(x, { training: true }))) as tf.Scalar);
  assert.deepEqual(Object.keys(grads).sort(), [bn.weight?.value.name, bn.bias?.value.name].sort());
  // d/dbeta of sum(y^2) = 2 * sum(y) = 2 * N*H*W * beta, since the normalised part sums to zero.
  assertClose(grads[bn.bias?.value.name as string]?.dataSync() ?? [], [2 * 6 * 1, 2 * 6 * -1], 1e-4, 'dbeta');
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  bn.dispose();
});

test('the training-mode gradient with respect to the input matches finite differences', () => {
  const bn = makeBn(true);
  const weights = tf.randomNormal(SHAPE, 0, 1, 'float32', 3);
  const loss = (x: tf.Tensor) => tf.sum(tf.mul(bn.forward(x as tf.Tensor4D, { training: true }), weights)) as tf.Scalar;
  const x = tf.tensor4d(
    X.map((v) => v / 10),
    SHAPE,
  );
  const analytic = tf.grad(loss)(x).dataSync();
  const base = x.dataSync();
  const h = 1e-2;
  const numeric = Array.from(base, (_, i) => {
    const shifted = (delta: number) => {
      const values = Float32Array.from(base);
      values[i] = (values[i] as number) + delta;
      return tf.tidy(() => loss(tf.tensor4d(values, SHAPE)).dataSync()[0] as number);
    };
    return (shifted(h) - shifted(-h)) / (2 * h);
  });
  assertClose(analytic, numeric, 2e-2, 'dL/dx');
  tf.dispose([weights, x]);
  bn.dispose();
});
