import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cwLinf } from './cw.js';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import {
  accuracy,
  assertInThreatModel,
  boundaryImages,
  linearModel,
  linearOptimum,
  predictedLabels,
  TEST_BACKENDS,
  tinyConvNet,
  useBackend,
} from './test-models.js';

for (const backend of TEST_BACKENDS) {
  test(`CW-inf fools exactly the examples a two-class linear model cannot defend (${backend})`, async () => {
    await useBackend(backend);
    const lin = linearModel(11, 4 * 4 * 3, 2);
    const x = boundaryImages(17, [24, 4, 4, 3]);
    const y = predictedLabels(lin.model, x);
    const epsilon = 0.05;
    const optimum = linearOptimum(lin, x, y, epsilon);
    const result = await cwLinf(lin.model, x, y, { epsilon, steps: 20, seed: 4 });
    assertInThreatModel(result.adversarial, x, epsilon, 'cw');
    assert.deepEqual(result.success, optimum.fooled);
    tf.dispose([result.adversarial, x, y]);
    lin.dispose();
  });

  test(`CW-inf is at least as strong as FGSM on a small conv net (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(1, 8, 3, 10);
    const x = boundaryImages(2, [24, 8, 8, 3]);
    const y = predictedLabels(net.model, x);
    for (const epsilon of [0.01, 0.03]) {
      const single = await fgsm(net.model, x, y, { epsilon });
      const cw = await cwLinf(net.model, x, y, { epsilon, steps: 30 });
      const fgsmAccuracy = accuracy(net.model, single, y);
      assert.ok(fgsmAccuracy < 1);
      assert.ok(accuracy(net.model, cw.adversarial, y) <= fgsmAccuracy, `eps ${epsilon}`);
      assert.deepEqual(await misclassifiedBy(net.model, cw.adversarial, y), cw.success);
      tf.dispose([single, cw.adversarial]);
    }
    tf.dispose([x, y]);
    net.dispose();
  });

  test(`CW-inf stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(5, 6, 3, 4);
    const x = boundaryImages(6, [10, 6, 6, 3]);
    const y = predictedLabels(net.model, x);
    const before = tf.memory().numTensors;
    for (const epsilon of [0.004, 0.1, 1]) {
      for (const kappa of [0, 5, Infinity]) {
        const r = await cwLinf(net.model, x, y, { epsilon, kappa, steps: 4, restarts: 2, seed: 1 });
        assertInThreatModel(r.adversarial, x, epsilon, `cw eps ${epsilon} kappa ${kappa}`);
        r.adversarial.dispose();
      }
    }
    const a = await cwLinf(net.model, x, y, { epsilon: 0.02, steps: 3, seed: 9 });
    const b = await cwLinf(net.model, x, y, { epsilon: 0.02, steps: 3, seed: 9 });
    const c = await cwLinf(net.model, x, y, { epsilon: 0.02, steps: 3, seed: 10 });
    assert.deepEqual(a.adversarial.dataSync(), b.adversarial.dataSync());
    assert.deepEqual(a.success, b.success);
    assert.notDeepEqual(a.adversarial.dataSync(), c.adversarial.dataSync());
    tf.dispose([a.adversarial, b.adversarial, c.adversarial]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    net.dispose();
  });
}
