import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import { squareAttack, squareFraction, squareSide } from './square.js';
import type { Classifier } from './types.js';
import {
  accuracy,
  assertFollowsSeed,
  assertInThreatModel,
  convCase,
  randomImages,
  TEST_BACKENDS,
  useBackend,
} from './test-models.js';

/** The same model, but any attempt to differentiate through it throws. */
function gradientFree(model: Classifier): Classifier {
  const guarded = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: model(inputs[0] as tf.Tensor4D),
    gradFunc: (): tf.Tensor => {
      throw new Error('Square attack asked for a gradient');
    },
  }));
  return (x) => guarded(x) as tf.Tensor2D;
}

test('p schedule halves at 10, 50, 200, ... of 10,000, rescaled to the budget', () => {
  const p = 0.05;
  assert.equal(squareFraction(p, 0, 10000), p);
  assert.equal(squareFraction(p, 10, 10000), p);
  assert.equal(squareFraction(p, 11, 10000), p / 2);
  assert.equal(squareFraction(p, 50, 10000), p / 2);
  assert.equal(squareFraction(p, 51, 10000), p / 4);
  assert.equal(squareFraction(p, 201, 10000), p / 8);
  assert.equal(squareFraction(p, 501, 10000), p / 16);
  assert.equal(squareFraction(p, 1001, 10000), p / 32);
  assert.equal(squareFraction(p, 2001, 10000), p / 64);
  assert.equal(squareFraction(p, 4001, 10000), p / 128);
  assert.equal(squareFraction(p, 6001, 10000), p / 256);
  assert.equal(squareFraction(p, 8001, 10000), p / 512);
  assert.equal(squareFraction(p, 9999, 10000), p / 512);
  // With 1,000 iterations each point comes ten times sooner.
  assert.equal(squareFraction(p, 1, 1000), p);
  assert.equal(squareFraction(p, 2, 1000), p / 2);
  assert.equal(squareFraction(p, 801, 1000), p / 512);
});

test('square side is round(sqrt(p h w)) within [1, min(h, w) - 1]', () => {
  assert.equal(squareSide(0.05, 32, 32), 7); // sqrt(51.2) = 7.16
  assert.equal(squareSide(0.8, 32, 32), 29); // sqrt(819.2) = 28.6
  assert.equal(squareSide(1, 4, 4), 3);
  assert.equal(squareSide(1e-6, 28, 28), 1);
  assert.equal(squareSide(0.5, 8, 1), 1);
});

test('starts from vertical stripes and then changes one square of the scheduled size per query', async () => {
  await useBackend('cpu');
  const [h, w, c] = [8, 8, 3];
  const x = randomImages(3, [1, h, w, c]);
  const y = tf.tensor1d([0], 'int32');
  const seen: Float32Array[] = [];
  // Constant logits: no candidate is ever accepted, so each query is the stripes plus one fresh square.
  const model: Classifier = (input) => {
    seen.push(Float32Array.from(input.dataSync()));
    return tf.tidy(
      () =>
        tf.add(
          tf.mul(tf.reshape(tf.sum(input, [1, 2, 3]), [input.shape[0], 1]), 0),
          tf.tensor2d([[1, 0, 0]]),
        ) as tf.Tensor2D,
    );
  };
  const epsilon = 0.05;
  const budget = 40;
  const result = await squareAttack(model, x, y, { epsilon, queries: budget, pInit: 0.3, seed: 1 });
  assert.deepEqual(result.queries, [budget]);
  assert.equal(seen.length, budget);
  const clean = x.dataSync();
  const stripes = seen[0]!;
  for (let col = 0; col < w; col++) {
    for (let ch = 0; ch < c; ch++) {
      // One sign per column and channel, the same down the column (up to clipping at 0 and 1).
      const at = (row: number): number => (row * w + col) * c + ch;
      const signs = new Set<number>();
      for (let row = 0; row < h; row++) {
        const delta = stripes[at(row)]! - clean[at(row)]!;
        assert.ok(Math.abs(delta) <= epsilon + 1e-6);
        const up = Math.min(1, clean[at(row)]! + epsilon);
        const down = Math.max(0, clean[at(row)]! - epsilon);
        if (Math.abs(stripes[at(row)]! - up) < 1e-6 && Math.abs(up - down) > 1e-6) signs.add(1);
        else if (Math.abs(stripes[at(row)]! - down) < 1e-6) signs.add(-1);
        else assert.fail(`pixel (${row}, ${col}, ${ch}) is not at a vertex`);
      }
      assert.equal(signs.size, 1, `column ${col} channel ${ch} is one stripe`);
    }
  }
  for (let q = 1; q < seen.length; q++) {
    const side = squareSide(squareFraction(0.3, q - 1, budget - 1), h, w);
    let top = h;
    let bottom = -1;
    let left = w;
    let right = -1;
    for (let i = 0; i < stripes.length; i++) {
      if (Math.abs(seen[q]![i]! - stripes[i]!) > 1e-7) {
        const pixel = Math.floor(i / c);
        top = Math.min(top, Math.floor(pixel / w));
        bottom = Math.max(bottom, Math.floor(pixel / w));
        left = Math.min(left, pixel % w);
        right = Math.max(right, pixel % w);
      }
    }
    assert.ok(bottom >= 0, `query ${q} changed something`);
    assert.ok(bottom - top + 1 <= side && right - left + 1 <= side, `query ${q}: change fits a ${side}x${side} square`);
  }
  tf.dispose([x, y, result.adversarial]);
});

for (const backend of TEST_BACKENDS) {
  test(`Square lowers accuracy without gradients, stops per example once fooled (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 24 });
    const model = gradientFree(net.model);
    const epsilon = 0.03;
    const budget = 150;
    await assert.rejects(async () => fgsm(model, x, y, { epsilon }), /asked for a gradient/, 'the guard works');
    const result = await squareAttack(model, x, y, { epsilon, queries: budget, seed: 5 });
    assertInThreatModel(result.adversarial, x, epsilon, 'square');
    assert.ok(
      accuracy(net.model, result.adversarial, y) <= 0.75,
      `accuracy ${accuracy(net.model, result.adversarial, y)}`,
    );
    assert.deepEqual(await misclassifiedBy(net.model, result.adversarial, y), result.success);
    result.success.forEach((fooled, i) => {
      const q = result.queries[i]!;
      if (fooled) assert.ok(q >= 1 && q <= budget, `example ${i} used ${q} queries`);
      else assert.equal(q, budget, `example ${i} kept going to the end of the budget`);
    });
    assert.ok(
      result.queries.some((q) => q < budget),
      'some example stopped early',
    );
    result.adversarial.dispose();
    dispose();
  });

  test(`Square stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 5, size: 6, classes: 4 }, { seed: 6, count: 10 });
    const before = tf.memory().numTensors;
    for (const epsilon of [0.004, 0.1, 1]) {
      const r = await squareAttack(net.model, x, y, { epsilon, queries: 20, restarts: 2, pInit: 0.8, seed: 2 });
      assertInThreatModel(r.adversarial, x, epsilon, `square eps ${epsilon}`);
      assert.ok(r.queries.every((q) => q >= 1 && q <= 40));
      r.adversarial.dispose();
    }
    await assertFollowsSeed((seed) => squareAttack(net.model, x, y, { epsilon: 0.02, queries: 15, seed }));
    assert.equal(tf.memory().numTensors, before);
    dispose();
  });
}
