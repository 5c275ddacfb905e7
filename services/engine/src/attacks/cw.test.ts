import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cwLinf } from './cw.js';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import {
  accuracy,
  assertFollowsSeed,
  assertInThreatModel,
  convCase,
  linearCase,
  TEST_BACKENDS,
  useBackend,
} from './test-models.js';

for (const backend of TEST_BACKENDS) {
  test(`CW-inf fools exactly the examples a two-class linear model cannot defend (${backend})`, async () => {
    await useBackend(backend);
    const { lin, x, y, epsilon, optimum, dispose } = linearCase();
    const result = await cwLinf(lin.model, x, y, { epsilon, steps: 20, seed: 4 });
    assertInThreatModel(result.adversarial, x, epsilon, 'cw');
    assert.deepEqual(result.success, optimum.fooled);
    result.adversarial.dispose();
    dispose();
  });

  test(`CW-inf is at least as strong as FGSM on a small conv net (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 24 });
    for (const epsilon of [0.01, 0.03]) {
      const single = await fgsm(net.model, x, y, { epsilon });
      const cw = await cwLinf(net.model, x, y, { epsilon, steps: 30 });
      const fgsmAccuracy = accuracy(net.model, single, y);
      assert.ok(fgsmAccuracy < 1);
      assert.ok(accuracy(net.model, cw.adversarial, y) <= fgsmAccuracy, `eps ${epsilon}`);
      assert.deepEqual(await misclassifiedBy(net.model, cw.adversarial, y), cw.success);
      tf.dispose([single, cw.adversarial]);
    }
    dispose();
  });

  test(`CW-inf stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 5, size: 6, classes: 4 }, { seed: 6, count: 10 });
    const before = tf.memory().numTensors;
    for (const epsilon of [0.004, 0.1, 1]) {
      for (const kappa of [0, 5, Infinity]) {
        const r = await cwLinf(net.model, x, y, { epsilon, kappa, steps: 4, restarts: 2, seed: 1 });
        assertInThreatModel(r.adversarial, x, epsilon, `cw eps ${epsilon} kappa ${kappa}`);
        r.adversarial.dispose();
      }
    }
    await assertFollowsSeed((seed) => cwLinf(net.model, x, y, { epsilon: 0.02, steps: 3, seed }));
    assert.equal(tf.memory().numTensors, before);
    dispose();
  });
}
