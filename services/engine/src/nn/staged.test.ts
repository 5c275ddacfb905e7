import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { OPS } from '@lrnas/schema';
import { BatchNorm2d } from './batch-norm.js';
import { Sequential, type Layer } from './module.js';
import { createOp } from './ops.js';
import { runStaged, stagedForward } from './staged.js';
import { seededRandom, useBackend } from './test-util.js';

const TRAINING = { training: true };

/** Every non-zero operation of the search space at `stride`, pools followed by a non-affine BN (the supernet's edge). */
function edgeOps(channels: number, stride: 1 | 2): Layer[] {
  return OPS.filter((name) => name !== 'none').map((name) => {
    const op = createOp(name, channels, stride, false);
    return name.includes('pool') ? new Sequential([op, new BatchNorm2d(channels, { affine: false })]) : op;
  });
}

/** Outputs, running statistics and parameter gradients of `ops` on `x` (sum of output times fixed weights). */
function trainingStep(ops: Layer[], x: tf.Tensor4D, forward: (ops: Layer[], x: tf.Tensor4D) => tf.Tensor4D[]) {
  const params = ops.flatMap((op) => op.namedParameters().map(([, v]) => v));
  let outputs: Float32Array[] = [];
  const { grads, value } = tf.variableGrads(() => {
    const ys = forward(ops, x);
    outputs = ys.map((y) => y.dataSync() as Float32Array);
    return tf.addN(
      ys.map((y, i) => tf.sum(tf.mul(y, tf.reshape(tf.linspace(-1, 1 + i, y.size), y.shape)))),
    ) as tf.Scalar;
  }, params);
  const result = {
    outputs,
    running: ops.flatMap((op) => op.namedBuffers().map(([, v]) => v.dataSync() as Float32Array)),
    grads: params.map((v) => grads[v.name]?.dataSync() as Float32Array),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`staged forward passes side by side equal each operation's own forward, to the bit, on ${backend}`, async () => {
    await useBackend(backend);
    for (const stride of [1, 2] as const) {
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 6 * 4 }, seededRandom(9)), [2, 6, 6, 4]);
      // Two copies of the same operations (same seeds): one run op by op, one staged.
      const build = (): Layer[] => {
        const ops = edgeOps(4, stride);
        ops.forEach((op, i) => op.initialize(30 + i));
        return ops;
      };
      const before = tf.memory().numTensors;
      const separateOps = build();
      const separate = trainingStep(separateOps, x, (ops, input) => ops.map((op) => op.forward(input, TRAINING)));
      const stagedOps = build();
      const staged = trainingStep(stagedOps, x, (ops, input) =>
        runStaged(ops.map((op) => stagedForward(op, input, TRAINING))),
      );
      assert.deepEqual(staged.outputs, separate.outputs, `outputs at stride ${stride}`);
      assert.deepEqual(staged.running, separate.running, `running statistics at stride ${stride}`);
      assert.deepEqual(staged.grads, separate.grads, `parameter gradients at stride ${stride}`);
      [...separateOps, ...stagedOps].forEach((op) => op.dispose());
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind but the input');
      x.dispose();
    }
  });
}
