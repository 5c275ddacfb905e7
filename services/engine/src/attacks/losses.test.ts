import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { lossAndGradient } from './gradient.js';
import { crossEntropyLoss, dlrLoss, marginLoss, targetedDlrLoss } from './losses.js';
import { TEST_BACKENDS, useBackend } from './test-models.js';

const rows = [
  [2.0, -1.0, 0.5, 0.25],
  [0.1, 0.3, 3.0, -2.0],
  [-1.0, -1.5, -0.2, 4.0],
];
const labels = [0, 1, 3];

/** Plain-JS references. */
const ce = (z: number[], y: number): number => Math.log(z.reduce((s, v) => s + Math.exp(v), 0)) - z[y]!;
const otherMax = (z: number[], y: number): number => Math.max(...z.filter((_, i) => i !== y));
const dlr = (z: number[], y: number): number => {
  const sorted = [...z].sort((a, b) => b - a);
  return -(z[y]! - otherMax(z, y)) / (sorted[0]! - sorted[2]! + 1e-12);
};

for (const backend of TEST_BACKENDS) {
  test(`losses match plain-JS references (${backend})`, async () => {
    await useBackend(backend);
    const z = tf.tensor2d(rows);
    const y = tf.tensor1d(labels, 'int32');
    const before = tf.memory().numTensors;
    const got = {
      ce: crossEntropyLoss(z, y),
      margin0: marginLoss(0)(z, y),
      margin1: marginLoss(1)(z, y),
      free: marginLoss(Infinity)(z, y),
      dlr: dlrLoss(z, y),
    };
    rows.forEach((r, i) => {
      const y_ = labels[i]!;
      const margin = otherMax(r, y_) - r[y_]!;
      assert.ok(Math.abs(got.ce.dataSync()[i]! - ce(r, y_)) < 1e-5);
      assert.ok(Math.abs(got.margin0.dataSync()[i]! - Math.min(margin, 0)) < 1e-5);
      assert.ok(Math.abs(got.margin1.dataSync()[i]! - Math.min(margin, 1)) < 1e-5);
      assert.ok(Math.abs(got.free.dataSync()[i]! - margin) < 1e-5);
      assert.ok(Math.abs(got.dlr.dataSync()[i]! - dlr(r, y_)) < 1e-5);
    });
    tf.dispose(Object.values(got));
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([z, y]);
  });

  test(`DLR is invariant to shifting and scaling the logits; gradients flow (${backend})`, async () => {
    await useBackend(backend);
    const z = tf.tensor2d(rows);
    const y = tf.tensor1d(labels, 'int32');
    const a = dlrLoss(z, y);
    const moved = tf.add(tf.mul(z, 3.5), 7);
    const b = dlrLoss(moved as tf.Tensor2D, y);
    for (let i = 0; i < rows.length; i++) assert.ok(Math.abs(a.dataSync()[i]! - b.dataSync()[i]!) < 1e-5);
    // d(DLR)/dz through an identity "model" on a [3,1,1,4] input equals a finite difference.
    const x = tf.reshape(z, [3, 1, 1, 4]) as tf.Tensor4D;
    const identity = (t: tf.Tensor4D): tf.Tensor2D => tf.reshape(t, [t.shape[0], 4]) as tf.Tensor2D;
    const { logits, loss, grad } = lossAndGradient(identity, dlrLoss, x, y);
    const g = grad.dataSync();
    const h = 1e-2;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) {
        const up = rows[i]!.map((v, k) => (k === j ? v + h : v));
        const down = rows[i]!.map((v, k) => (k === j ? v - h : v));
        const numeric = (dlr(up, labels[i]!) - dlr(down, labels[i]!)) / (2 * h);
        assert.ok(Math.abs(g[i * 4 + j]! - numeric) < 1e-2, `row ${i} logit ${j}: ${g[i * 4 + j]} vs ${numeric}`);
      }
    }
    tf.dispose([z, y, a, moved, b, x, logits, loss, grad]);
  });

  test(`DLR needs three classes; marginLoss rejects a negative kappa (${backend})`, async () => {
    await useBackend(backend);
    const z = tf.tensor2d([[1, 2]]);
    const y = tf.tensor1d([0], 'int32');
    assert.throws(() => dlrLoss(z, y), /at least 3 classes/);
    assert.throws(() => marginLoss(-1), /kappa/);
    tf.dispose([z, y]);
  });

  test(`targeted DLR matches its formula, is shift and scale invariant, needs four classes (${backend})`, async () => {
    await useBackend(backend);
    const z = tf.tensor2d(rows);
    const y = tf.tensor1d(labels, 'int32');
    const targetList = [1, 3, 0];
    const t = tf.tensor1d(targetList, 'int32');
    const loss = targetedDlrLoss(t);
    const got = loss(z, y).dataSync();
    const moved = tf.add(tf.mul(z, 2.5), -3) as tf.Tensor2D;
    const shifted = loss(moved, y).dataSync();
    rows.forEach((r, i) => {
      const sorted = [...r].sort((a, b) => b - a);
      const want = -(r[labels[i]!]! - r[targetList[i]!]!) / (sorted[0]! - (sorted[2]! + sorted[3]!) / 2 + 1e-12);
      assert.ok(Math.abs(got[i]! - want) < 1e-5, `row ${i}: ${got[i]} vs ${want}`);
      assert.ok(Math.abs(shifted[i]! - want) < 1e-5, `row ${i} shifted`);
    });
    const three = tf.tensor2d([[1, 2, 3]]);
    const one = tf.tensor1d([0], 'int32');
    assert.throws(() => targetedDlrLoss(one)(three, one), /at least 4 classes/);
    assert.throws(() => targetedDlrLoss(tf.tensor1d([0, 1], 'int32'))(z, y), /targets/);
    tf.dispose([z, y, t, moved, three, one]);
  });
}
