import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import { pgd } from './pgd.js';
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
  test(`PGD reaches the exact worst case of a two-class linear model (${backend})`, async () => {
    await useBackend(backend);
    const { lin, x, y, epsilon, optimum, dispose } = linearCase();
    assert.ok(
      optimum.margin.every((m) => Math.abs(m) > 1e-3),
      'no example sits on the decision boundary',
    );

    // From any start, 10 steps of eps/4 reach the optimal corner of every pixel.
    const last = await pgd(lin.model, x, y, { epsilon, steps: 10, stepSize: epsilon / 4, seed: 1 });
    assertInThreatModel(last, x, epsilon, 'pgd');
    const got = last.dataSync();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - optimum.points[i]!) < 1e-6, `pixel ${i}`);

    const tracked = await pgd(lin.model, x, y, {
      epsilon,
      steps: 10,
      stepSize: epsilon / 4,
      seed: 1,
      returnSuccess: true,
    });
    assertInThreatModel(tracked.adversarial, x, epsilon, 'tracked pgd');
    assert.deepEqual(tracked.success, optimum.fooled);
    const expectedAccuracy = optimum.fooled.filter((f) => !f).length / optimum.fooled.length;
    const single = await fgsm(lin.model, x, y, { epsilon });
    assert.equal(accuracy(lin.model, last, y), expectedAccuracy);
    assert.equal(accuracy(lin.model, tracked.adversarial, y), expectedAccuracy);
    assert.ok(accuracy(lin.model, last, y) <= accuracy(lin.model, single, y));
    tf.dispose([last, tracked.adversarial, single]);
    dispose();
  });

  test(`PGD is at least as strong as FGSM on a small conv net; restarts only add successes (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 24 });
    for (const epsilon of [0.01, 0.03]) {
      const single = await fgsm(net.model, x, y, { epsilon });
      const plain = await pgd(net.model, x, y, { epsilon, steps: 20 });
      const one = await pgd(net.model, x, y, { epsilon, steps: 10, seed: 3, returnSuccess: true });
      const three = await pgd(net.model, x, y, { epsilon, steps: 10, seed: 3, restarts: 3, returnSuccess: true });
      const fgsmAccuracy = accuracy(net.model, single, y);
      assert.ok(fgsmAccuracy < 1, `FGSM fools some examples at eps ${epsilon}`);
      assert.ok(accuracy(net.model, plain, y) <= fgsmAccuracy, `PGD-20 vs FGSM at eps ${epsilon}`);
      assert.ok(accuracy(net.model, one.adversarial, y) <= fgsmAccuracy);
      // The first restart is the single run (same seed), so three restarts fool a superset.
      one.success.forEach((s, i) => assert.ok(!s || three.success[i], `example ${i}`));
      // Reported success is what a fresh forward pass says.
      assert.deepEqual(await misclassifiedBy(net.model, three.adversarial, y), three.success);
      assert.deepEqual(await misclassifiedBy(net.model, one.adversarial, y), one.success);
      tf.dispose([single, plain, one.adversarial, three.adversarial]);
    }
    dispose();
  });

  test(`PGD stays in the threat model, follows its seed and leaks no tensors (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 5, size: 6, classes: 4 }, { seed: 6, count: 10 });
    const before = tf.memory().numTensors;
    for (const epsilon of [0.004, 0.1, 1]) {
      const variants = {
        plain: await pgd(net.model, x, y, { epsilon, steps: 4, seed: 8 }),
        big: await pgd(net.model, x, y, { epsilon, steps: 3, stepSize: 3 * epsilon, seed: 8 }),
        fixed: await pgd(net.model, x, y, { epsilon, steps: 3, randomStart: false }),
        margin: await pgd(net.model, x, y, { epsilon, steps: 3, loss: 'margin', restarts: 2, seed: 8 }),
        dlr: (await pgd(net.model, x, y, { epsilon, steps: 3, loss: 'dlr', returnSuccess: true, seed: 8 })).adversarial,
      };
      for (const [name, t] of Object.entries(variants))
        assertInThreatModel(t, x, epsilon, `pgd ${name} eps ${epsilon}`);
      tf.dispose(Object.values(variants));
    }
    const a = await pgd(net.model, x, y, { epsilon: 0.05, steps: 3, seed: 21 });
    const b = await pgd(net.model, x, y, { epsilon: 0.05, steps: 3, seed: 21 });
    const c = await pgd(net.model, x, y, { epsilon: 0.05, steps: 3, seed: 22 });
    assert.deepEqual(a.dataSync(), b.dataSync());
    assert.notDeepEqual(a.dataSync(), c.dataSync());
    const r1 = await pgd(net.model, x, y, { epsilon: 0.05, steps: 3, seed: 21, restarts: 2, returnSuccess: true });
    const r2 = await pgd(net.model, x, y, { epsilon: 0.05, steps: 3, seed: 21, restarts: 2, returnSuccess: true });
    assert.deepEqual(r1.adversarial.dataSync(), r2.adversarial.dataSync());
    assert.deepEqual(r1.success, r2.success);
    tf.dispose([a, b, c, r1.adversarial, r2.adversarial]);
    assert.equal(tf.memory().numTensors, before);
    dispose();
  });
}

test('PGD rejects bad settings', async () => {
  await useBackend('cpu');
  const { lin, x, y, dispose } = tinyLinearCase();
  const before = tf.memory().numTensors;
  await assert.rejects(async () => pgd(lin.model, x, y, { epsilon: 0.1, steps: 0 }), /steps/);
  await assert.rejects(async () => pgd(lin.model, x, y, { epsilon: 0.1, restarts: 1.5 }), /restarts/);
  await assert.rejects(async () => pgd(lin.model, x, y, { epsilon: 0.1, stepSize: -1 }), /stepSize/);
  await assert.rejects(async () => pgd(lin.model, x, y, { epsilon: 0.1, loss: 'hinge' as 'ce' }), /loss/);
  await assert.rejects(
    async () => pgd(lin.model, x, y, { epsilon: 0.1, loss: 'dlr', returnSuccess: true }),
    /at least 3 classes/,
  );
  assert.equal(tf.memory().numTensors, before, 'failed attacks leave nothing behind');
  dispose();
});
