import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { apgd, apgdCe, apgdDlr } from './apgd.js';
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
  test(`APGD-CE finds the exact worst case of a two-class linear model (${backend})`, async () => {
    await useBackend(backend);
    const lin = linearModel(11, 4 * 4 * 3, 2);
    const x = boundaryImages(17, [24, 4, 4, 3]);
    const y = predictedLabels(lin.model, x);
    const epsilon = 0.05;
    const optimum = linearOptimum(lin, x, y, epsilon);
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
    tf.dispose([result.adversarial, x, y]);
    lin.dispose();
  });

  test(`APGD-CE and APGD-DLR are at least as strong as FGSM on a small conv net (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(1, 8, 3, 10);
    const x = boundaryImages(2, [24, 8, 8, 3]);
    const y = predictedLabels(net.model, x);
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
    tf.dispose([x, y]);
    net.dispose();
  });

  test(`APGD stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(5, 6, 3, 4);
    const x = boundaryImages(6, [10, 6, 6, 3]);
    const y = predictedLabels(net.model, x);
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
    const a = await apgdCe(net.model, x, y, { epsilon: 0.02, steps: 6, seed: 9 });
    const b = await apgdCe(net.model, x, y, { epsilon: 0.02, steps: 6, seed: 9 });
    const c = await apgdCe(net.model, x, y, { epsilon: 0.02, steps: 6, seed: 10 });
    assert.deepEqual(a.adversarial.dataSync(), b.adversarial.dataSync());
    assert.deepEqual(a.success, b.success);
    assert.notDeepEqual(a.adversarial.dataSync(), c.adversarial.dataSync());
    tf.dispose([a.adversarial, b.adversarial, c.adversarial]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    net.dispose();
  });
}

test('APGD rejects bad settings and DLR on two classes, leaving no tensors', async () => {
  await useBackend('cpu');
  const lin = linearModel(1, 12, 2);
  const x = boundaryImages(2, [3, 2, 2, 3]);
  const y = predictedLabels(lin.model, x);
  const before = tf.memory().numTensors;
  await assert.rejects(async () => apgdDlr(lin.model, x, y, { epsilon: 0.1 }), /at least 3 classes/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, rho: 0 }), /rho/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, alpha: 2 }), /alpha/);
  await assert.rejects(async () => apgd(lin.model, x, y, { epsilon: 0.1, steps: -3 }), /steps/);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
  lin.dispose();
});
