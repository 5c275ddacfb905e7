import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { overTargetClasses, targetsByRank } from './targeted.js';
import { useBackend } from './test-models.js';

test('targetsByRank: the rank-th largest logit per row, ties to the lower class', async () => {
  await useBackend('cpu');
  const logits = tf.tensor2d([
    [0.1, 3, 2, 2],
    [5, 1, 4, 0],
  ]);
  assert.deepEqual(await targetsByRank(logits, 1), [1, 0]);
  assert.deepEqual(await targetsByRank(logits, 2), [2, 2]);
  assert.deepEqual(await targetsByRank(logits, 3), [3, 1]);
  assert.deepEqual(await targetsByRank(logits, 4), [0, 3]);
  await assert.rejects(async () => targetsByRank(logits, 5), /rank/);
  logits.dispose();
});

test('overTargetClasses attacks each target round only on the examples still correct, aimed by rank', async () => {
  await useBackend('cpu');
  // An identity "model" on [n,1,1,5] inputs: the logits are the pixels, so targets are easy to read off.
  const model = (x: tf.Tensor4D): tf.Tensor2D => tf.reshape(x, [x.shape[0], 5]) as tf.Tensor2D;
  const rows = [
    [0.9, 0.5, 0.4, 0.3, 0.2], // label 0: targets 1, 2, 3, 4
    [0.2, 0.9, 0.1, 0.8, 0.3], // label 1: targets 3, 4, 0, 2
    [0.6, 0.1, 0.2, 0.3, 0.4], // label 2: misclassified clean, never attacked
    [0.3, 0.2, 0.1, 0.4, 0.9], // label 4: targets 3, 0, 1, 2
  ];
  const labels = [0, 1, 2, 4];
  const x = tf.tensor4d(rows.flat(), [4, 1, 1, 5]);
  const y = tf.tensor1d(labels, 'int32');
  const seen: Array<{ round: number; labels: number[]; targets: number[] }> = [];
  // Fools an example by swapping its true and target pixels, but only in the round listed for its label.
  const foolInRound: Record<number, number> = { 0: 1, 1: 0, 4: 99 };
  const before = tf.memory().numTensors;
  const result = await overTargetClasses(model, x, y, 3, async (xs, ys, targets, round) => {
    const ysList = Array.from(ys.dataSync());
    const tList = Array.from(targets.dataSync());
    seen.push({ round, labels: ysList, targets: tList });
    const data = Array.from(xs.dataSync());
    const success = ysList.map((label, k) => {
      if (foolInRound[label] !== round) return false;
      const t = tList[k]!;
      [data[k * 5 + label], data[k * 5 + t]] = [data[k * 5 + t]!, data[k * 5 + label]!];
      return true;
    });
    return { adversarial: tf.tensor4d(data, xs.shape), success };
  });
  assert.deepEqual(seen, [
    { round: 0, labels: [0, 1, 4], targets: [1, 3, 3] },
    { round: 1, labels: [0, 4], targets: [2, 0] },
    { round: 2, labels: [4], targets: [1] },
  ]);
  assert.deepEqual(result.success, [true, true, true, false]);
  const out = result.adversarial.dataSync();
  // Example 0 was fooled towards its second target (class 2), example 1 towards its first (class 3).
  assert.deepEqual(Array.from(out.subarray(0, 5)), [0.4, 0.5, 0.9, 0.3, 0.2].map(Math.fround));
  assert.deepEqual(Array.from(out.subarray(5, 10)), [0.2, 0.8, 0.1, 0.9, 0.3].map(Math.fround));
  // Not fooled: returned unchanged.
  assert.deepEqual(Array.from(out.subarray(10, 20)), rows.slice(2).flat().map(Math.fround));
  result.adversarial.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  tf.dispose([x, y]);
});
