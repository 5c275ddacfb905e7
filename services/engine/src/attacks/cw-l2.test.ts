import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cwL2 } from './cw-l2.js';
import { misclassifiedBy } from './gradient.js';
import { convCase, TEST_BACKENDS, useBackend } from './test-models.js';

/** Per example, the L2 distance between a and b. */
function l2(a: tf.Tensor4D, b: tf.Tensor4D): number[] {
  return Array.from(tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.sub(a, b)), [1, 2, 3]))).dataSync());
}

for (const backend of TEST_BACKENDS) {
  test(`CW-L2 fools with small L2 moves inside the box and returns the rest unchanged (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 12 });
    const before = tf.memory().numTensors;
    const result = await cwL2(net.model, x, y, { steps: 60 });
    assert.equal(tf.memory().numTensors, before + 1, 'only the adversarial batch is left');
    assert.deepEqual(await misclassifiedBy(net.model, result.adversarial, y), result.success);
    const fooled = result.success.filter(Boolean).length;
    assert.ok(fooled >= 6, `fooled ${fooled} of 12`);
    const [lo, hi] = tf.tidy(() => [
      tf.min(result.adversarial).dataSync()[0]!,
      tf.max(result.adversarial).dataSync()[0]!,
    ]);
    assert.ok(lo >= 0 && hi <= 1, `pixels in [${lo}, ${hi}]`);
    const distances = l2(result.adversarial, x);
    result.success.forEach((f, i) => {
      if (f) assert.ok(distances[i]! > 0 && distances[i]! < 2, `example ${i}: L2 ${distances[i]}`);
      else assert.equal(distances[i], 0, `example ${i} not fooled comes back unchanged`);
    });
    // A larger weight on misclassification fools at least as many examples.
    const strong = await cwL2(net.model, x, y, { steps: 60, c: 5 });
    assert.ok(strong.success.filter(Boolean).length >= fooled);
    tf.dispose([result.adversarial, strong.adversarial]);
    dispose();
  });
}

test('CW-L2 rejects bad settings, naming them', async () => {
  await useBackend('cpu');
  const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 2 });
  await assert.rejects(async () => cwL2(net.model, x, y, { c: 0 }), /c/);
  await assert.rejects(async () => cwL2(net.model, x, y, { steps: 0 }), /steps/);
  await assert.rejects(async () => cwL2(net.model, x, y, { learningRate: -1 }), /learningRate/);
  await assert.rejects(async () => cwL2(net.model, x, y, { kappa: -1 }), /kappa/);
  dispose();
});
