import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from './fgsm.js';
import {
  accuracy,
  assertInThreatModel,
  convCase,
  linearCase,
  TEST_BACKENDS,
  tinyLinearCase,
  useBackend,
} from './test-models.js';

for (const backend of TEST_BACKENDS) {
  test(`FGSM finds the exact worst case of a two-class linear model (${backend})`, async () => {
    await useBackend(backend);
    const { lin, x, y, epsilon, optimum, dispose } = linearCase();
    const before = tf.memory().numTensors;
    const adv = await fgsm(lin.model, x, y, { epsilon });
    assert.equal(tf.memory().numTensors, before + 1, 'only the result is left');
    assertInThreatModel(adv, x, epsilon, 'fgsm');
    assert.ok(
      optimum.margin.every((m) => Math.abs(m) > 1e-3),
      'no example sits on the decision boundary',
    );
    const got = adv.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - optimum.points[i]!) < 1e-6, `pixel ${i}`);
    const expectedAccuracy = optimum.fooled.filter((f) => !f).length / optimum.fooled.length;
    assert.ok(expectedAccuracy < 1 && expectedAccuracy > 0, 'the example set is neither all robust nor all broken');
    assert.equal(accuracy(lin.model, adv, y), expectedAccuracy);
    adv.dispose();
    dispose();
  });

  test(`FGSM with random start stays in the threat model and follows its seed (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 3, size: 6, classes: 5 }, { seed: 4, count: 10 });
    const before = tf.memory().numTensors;
    for (const epsilon of [0.01, 0.1, 1]) {
      const plain = await fgsm(net.model, x, y, { epsilon });
      const a = await fgsm(net.model, x, y, { epsilon, randomStart: true, stepSize: 1.25 * epsilon, seed: 5 });
      const b = await fgsm(net.model, x, y, { epsilon, randomStart: true, stepSize: 1.25 * epsilon, seed: 5 });
      const c = await fgsm(net.model, x, y, { epsilon, randomStart: true, stepSize: 1.25 * epsilon, seed: 6 });
      for (const [name, t] of Object.entries({ plain, a, c }))
        assertInThreatModel(t, x, epsilon, `fgsm ${name} eps ${epsilon}`);
      assert.deepEqual(a.dataSync(), b.dataSync());
      assert.notDeepEqual(a.dataSync(), c.dataSync());
      tf.dispose([plain, a, b, c]);
    }
    assert.equal(tf.memory().numTensors, before);
    dispose();
  });
}

test('FGSM rejects bad inputs with errors that name the field', async () => {
  await useBackend('cpu');
  const { lin, x, y, dispose } = tinyLinearCase();
  const y3 = tf.tensor1d([0, 1], 'int32');
  const bad = tf.tensor1d([0, 1, 2], 'int32');
  const big = tf.mul(x, 2) as tf.Tensor4D;
  await assert.rejects(async () => fgsm(lin.model, x, y, { epsilon: 0 }), /epsilon/);
  await assert.rejects(async () => fgsm(lin.model, x, y, { epsilon: 1.5 }), /epsilon/);
  await assert.rejects(async () => fgsm(lin.model, x, y3, { epsilon: 0.1 }), /2 labels for 3 images/);
  await assert.rejects(async () => fgsm(lin.model, x, bad, { epsilon: 0.1 }), /label 2 is outside/);
  await assert.rejects(async () => fgsm(lin.model, big, y, { epsilon: 0.1 }), /\[0, 1\]/);
  tf.dispose([y3, bad, big]);
  dispose();
});
