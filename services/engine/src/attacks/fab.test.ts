import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fabTargeted, projectOntoHyperplaneLinf } from './fab.js';
import { misclassifiedBy } from './gradient.js';
import { Rng } from '../random.js';
import { assertInThreatModel, convCase, linearCase, TEST_BACKENDS, useBackend } from './test-models.js';

test('the L-inf projection onto a hyperplane reaches it in the box with the smallest move', () => {
  const rng = new Rng(4);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + (trial % 6);
    const p = rng.fillUniform(new Float32Array(n), 0, 1);
    const w = rng.fillUniform(new Float32Array(n), -1, 1);
    const c = rng.nextFloat() * 2 - 1;
    const d = projectOntoHyperplaneLinf(p, w, c);
    const radius = Math.max(...Array.from(d, Math.abs));
    let value = c;
    let reach = c; // w . z + c at the box corner that moves it furthest towards 0
    for (let i = 0; i < n; i++) {
      const moved = p[i]! + d[i]!;
      assert.ok(moved >= -1e-7 && moved <= 1 + 1e-7, 'stays in the box');
      value += w[i]! * moved;
      reach += w[i]! * p[i]!;
    }
    const start = reach;
    const corner = Array.from(p, (pi, i) => (w[i]! > 0 === start > 0 ? 0 : 1) - pi);
    reach = start + corner.reduce((s, di, i) => s + w[i]! * di, 0);
    if (Math.sign(reach) !== Math.sign(start) && reach !== 0) {
      assert.ok(Math.abs(value) < 1e-5, `trial ${trial}: lands on the hyperplane (${value})`);
      // Any smaller radius falls short: the furthest move within radius * 0.99 does not reach it.
      let short = start;
      for (let i = 0; i < n; i++) {
        const room = corner[i]!;
        short += w[i]! * Math.sign(room) * Math.min(Math.abs(room), radius * 0.99);
      }
      assert.equal(Math.sign(short), Math.sign(start), `trial ${trial}: the radius ${radius} is minimal`);
    } else {
      assert.deepEqual(
        Array.from(d, (di, i) => Math.fround(p[i]! + di)),
        Array.from(p, (pi, i) => Math.fround(pi + corner[i]!)),
        `trial ${trial}: out of reach, the whole box move`,
      );
    }
  }
  assert.deepEqual(Array.from(projectOntoHyperplaneLinf(Float32Array.of(0.5), Float32Array.of(1), -0.5)), [0]);
});

for (const backend of TEST_BACKENDS) {
  test(`FAB-T fools exactly the examples a two-class linear model cannot defend (${backend})`, async () => {
    await useBackend(backend);
    const { lin, x, y, epsilon, optimum, dispose } = linearCase();
    const result = await fabTargeted(lin.model, x, y, { epsilon, steps: 40 });
    assertInThreatModel(result.adversarial, x, epsilon, 'fab-t');
    assert.deepEqual(result.success, optimum.fooled);
    result.adversarial.dispose();
    dispose();
  });

  test(`FAB-T on a conv net: in the ball, what it reports, unfooled examples unchanged (${backend})`, async () => {
    await useBackend(backend);
    const { net, x, y, dispose } = convCase({ seed: 1, size: 8, classes: 10 }, { seed: 2, count: 12 });
    const epsilon = 0.02;
    const before = tf.memory().numTensors;
    const result = await fabTargeted(net.model, x, y, { epsilon, steps: 15, targetClasses: 3 });
    assert.equal(tf.memory().numTensors, before + 1, 'only the adversarial batch is left');
    assertInThreatModel(result.adversarial, x, epsilon, 'fab-t');
    assert.deepEqual(await misclassifiedBy(net.model, result.adversarial, y), result.success);
    assert.ok(result.success.some(Boolean), 'fools some');
    const moved = Array.from(tf.tidy(() => tf.max(tf.abs(tf.sub(result.adversarial, x)), [1, 2, 3])).dataSync());
    result.success.forEach((f, i) => {
      if (!f) assert.equal(moved[i], 0, `example ${i}`);
    });
    result.adversarial.dispose();
    dispose();
  });
}
