import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { apgd, apgdCe, apgdDlr } from './apgd.js';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import {
  accuracy,
  assertFollowsSeed,
  assertInThreatModel,
  convCase,
  linearCase,
  TEST_BACKENDS,
  tinyLinearCase,
  useBackend,
} from './test-models.js';

for (const backend of TEST_BACKENDS) {
  test(`APGD-CE finds the exact worst case of a two-class linear model (${backend})`, async () => {
    await useBackend(backend);
    const { lin, x, y, epsilon, optimum, dispose } = linearCase();
    const result = await apgdCe(lin.model, x, y, { epsilon, steps: 20, seed: 2 });
    assertInThreatModel(result.adversarial, x, epsilon, 'apgd-ce');
    assert.deepEqual(result.success, optimum.fooled);
    // Where no point fools the model, the best point kept is the optimal corner itself.
    const got = result.adversarial.dataSync();
    const features = lin.features;
    optimum.fooled.forEach((fooled, i) => {
      if (fooled) return;
      for (let f = 0; f < features; f++) {
        const at = i * features + f;
        assert.ok(Math.abs(got[at]! - optimum.points[at]!) < 1e-6, `example ${i} pixel ${f}`);
      }
    });
    result.adversarial.dispose();
    dispose();
  });

  test(`APGD-CE and APGD-DLR are at least as strong as FGSM on a small conv net (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 24 });
    for (const epsilon of [0.01, 0.03]) {
      const single = await fgsm(net.model, x, y, { epsilon });
      const fgsmAccuracy = accuracy(net.model, single, y);
      assert.ok(fgsmAccuracy < 1);
      for (const loss of ['ce', 'dlr'] as const) {
        const r = await apgd(net.model, x, y, { epsilon, steps: 25, loss });
        assert.ok(accuracy(net.model, r.adversarial, y) <= fgsmAccuracy, `apgd-${loss} at eps ${epsilon}`);
        assert.deepEqual(await misclassifiedBy(net.model, r.adversarial, y), r.success);
        r.adversarial.dispose();
      }
      single.dispose();
    }
    dispose();
  });

  test(`APGD stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 5, size: 6, classes: 4 }, { seed: 6, count: 10 });
    const before = tf.memory().numTensors;
    for (const epsilon of [0.004, 0.1, 1]) {
      for (const loss of ['ce', 'dlr'] as const) {
        const r = await apgd(net.model, x, y, { epsilon, loss, steps: 12, restarts: 2, seed: 3 });
        assertInThreatModel(r.adversarial, x, epsilon, `apgd-${loss} eps ${epsilon}`);
        r.adversarial.dispose();
      }
      const fixed = await apgdDlr(net.model, x, y, { epsilon, steps: 5, randomStart: false });
      assertInThreatModel(fixed.adversarial, x, epsilon, `apgd-dlr without random start, eps ${epsilon}`);
      fixed.adversarial.dispose();
    }
    await assertFollowsSeed((seed) => apgdCe(net.model, x, y, { epsilon: 0.02, steps: 6, seed }));
    assert.equal(tf.memory().numTensors, before);
    dispose();
  });
}

test('APGD rejects bad settings and DLR on two classes, leaving no tensors', async () => {
  await useBackend('cpu');
  const { lin, x, y, dispose } = tinyLinearCase();
  const before = tf.memory().numTensors;
  await assert.rejects(async () => apgdDlr(lin.model, x, y, { epsilon: 0.1 }), /at least 3 classes/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, rho: 0 }), /rho/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, alpha: 2 }), /alpha/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, steps: -3 }), /steps/);
  assert.equal(tf.memory().numTensors, before);
  dispose();
});
