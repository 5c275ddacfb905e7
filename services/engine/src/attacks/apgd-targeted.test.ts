import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { apgd } from './apgd.js';
import { apgdTargeted } from './apgd-targeted.js';
import { misclassifiedBy } from './gradient.js';
import { assertInThreatModel, convCase, TEST_BACKENDS, useBackend } from './test-models.js';

for (const backend of TEST_BACKENDS) {
  test(`APGD on the targeted DLR loss fools towards its target and only there (${backend})`, async () => {
    await useBackend(backend);
    // Logits are the pixels ([n,1,1,4] inputs), so what an epsilon of 0.1 can reach is plain to see: the true
    // class 0 stays >= 0.4, class 1 can reach 0.52 (example 0) or 0.45 (example 1), classes 2 and 3 at most 0.1.
    const model = (x: tf.Tensor4D): tf.Tensor2D => tf.reshape(x, [x.shape[0], 4]) as tf.Tensor2D;
    const x = tf.tensor4d([0.5, 0.42, 0, 0, 0.5, 0.35, 0, 0], [2, 1, 1, 4]);
    const y = tf.tensor1d([0, 0], 'int32');
    const epsilon = 0.1;
    const settings = { epsilon, steps: 20, randomStart: false };
    // Example 0 aimed at class 1, which it can reach; example 1 at class 2, which it cannot.
    const targets = tf.tensor1d([1, 2], 'int32');
    const aimed = await apgd(model, x, y, { ...settings, loss: 'dlr-targeted', targets });
    assertInThreatModel(aimed.adversarial, x, epsilon, 'apgd targeted');
    assert.deepEqual(aimed.success, [true, false]);
    const reached = Array.from(tf.tidy(() => tf.argMax(model(aimed.adversarial), 1)).dataSync());
    assert.equal(reached[0], 1, 'example 0 lands in its target class');
    // The untargeted DLR loss fools example 1 through class 1, which the targeted loss had no reason to raise.
    const unaimed = await apgd(model, x, y, { ...settings, loss: 'dlr' });
    assert.deepEqual(unaimed.success, [true, true]);
    await assert.rejects(async () => apgd(model, x, y, { epsilon, loss: 'dlr-targeted' }), /targets/);
    await assert.rejects(async () => apgd(model, x, y, { epsilon, loss: 'ce', targets }), /targets/);
    tf.dispose([x, y, targets, aimed.adversarial, unaimed.adversarial]);
  });

  test(`APGD-T stays in the ball, reports what it returns, is at least as strong as one target (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 16 });
    const epsilon = 0.01;
    const before = tf.memory().numTensors;
    const all = await apgdTargeted(net.model, x, y, { epsilon, steps: 10, targetClasses: 9, seed: 3 });
    const one = await apgdTargeted(net.model, x, y, { epsilon, steps: 10, targetClasses: 1, seed: 3 });
    assertInThreatModel(all.adversarial, x, epsilon, 'apgd-t');
    assert.deepEqual(await misclassifiedBy(net.model, all.adversarial, y), all.success);
    const fooled = (flags: boolean[]): number => flags.filter(Boolean).length;
    assert.ok(fooled(one.success) > 0 && fooled(all.success) >= fooled(one.success), 'more targets fool no fewer');
    // The runner-up round is the same in both runs (same seed), so whatever it fooled stays fooled.
    one.success.forEach((f, i) => assert.ok(!f || all.success[i], `example ${i}`));
    tf.dispose([one.adversarial, all.adversarial]);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    dispose();
  });
}
