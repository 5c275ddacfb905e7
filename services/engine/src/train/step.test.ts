import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, assertClose } from '../nn/test-util.js';
import { crossEntropy } from '../nn/losses.js';
import { Sgd } from '../optim/optimizer.js';
import { optimizationStep, type BatchPart } from './step.js';

/** A linear classifier (no BN, so that parts of a batch see the same function) and one batch. */
function setup(): { params: Array<[string, tf.Variable]>; x: tf.Tensor2D; y: tf.Tensor1D } {
  const w = tf.variable(tf.randomNormal([5, 3], 0, 1, 'float32', 1));
  const b = tf.variable(tf.randomNormal([3], 0, 1, 'float32', 2));
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
  const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0], 'int32');
  return {
    params: [
      ['weight', w],
      ['bias', b],
    ],
    x,
    y,
  };
}

test('a step in micro-batches gives the gradient, loss and accuracy of the whole batch', async () => {
  await useBackend('wasm');
  const runs = [];
  for (const microBatch of [undefined, 3, 1]) {
    const { params, x, y } = setup();
    const optimizer = new Sgd(params, { momentum: 0.9, weightDecay: 1e-4 });
    const parts: BatchPart[] = [];
    const before = tf.memory().numTensors;
    const result = await optimizationStep({
      params,
      optimizer,
      lr: 0.5,
      clip: 1,
      labels: y,
      microBatch,
      forward: (part) => {
        parts.push(part);
        const xs = tf.slice(x, part.start, part.end - part.start);
        const logits = tf.add(tf.matMul(xs, params[0]![1]), params[1]![1]) as tf.Tensor2D;
        return { loss: crossEntropy(logits, tf.slice(y, part.start, part.end - part.start)) as tf.Scalar, logits };
      },
    });
    assert.equal(tf.memory().numTensors, before + params.length, 'only the momentum buffers remain');
    const weights = params.map(([, v]) => Array.from(v.dataSync()));
    optimizer.dispose();
    tf.dispose([x, y, ...params.map(([, v]) => v)]);
    runs.push({ result, weights, parts });
  }
  const [whole, threes, ones] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
  assert.deepEqual(whole.parts, [{ start: 0, end: 7 }]);
  assert.deepEqual(threes.parts, [
    { start: 0, end: 3 },
    { start: 3, end: 6 },
    { start: 6, end: 7 },
  ]);
  assert.equal(ones.parts.length, 7);
  for (const other of [threes, ones]) {
    assert.equal(other.result.correct, whole.result.correct);
    assert.ok(Math.abs(other.result.loss - whole.result.loss) < 1e-5, `${other.result.loss} vs ${whole.result.loss}`);
    assert.ok(Math.abs(other.result.gradNorm! - whole.result.gradNorm!) < 1e-5);
    other.weights.forEach((w, i) => assertClose(w, whole.weights[i]!, 1e-5, `param ${i}`));
  }
  assert.ok(whole.result.gradNorm! > 0);
});

test('a micro-batch size that is not a positive integer is refused', async () => {
  await useBackend('wasm');
  const { params, x, y } = setup();
  const optimizer = new Sgd(params);
  await assert.rejects(
    () =>
      optimizationStep({
        params,
        optimizer,
        lr: 0.1,
        clip: null,
        labels: y,
        microBatch: 0,
        forward: () => {
          throw new Error('not reached');
        },
      }),
    /microBatch must be a positive integer/,
  );
  tf.dispose([x, y, ...params.map(([, v]) => v)]);
});
