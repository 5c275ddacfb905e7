// Every attack of the suite on the webgpu backend (lavapipe in CI: the launcher installs it for files named
// *webgpu*), where a synchronous read cannot be done at all: each attack's bookkeeping (losses, fooled flags,
// targets, the checks of its inputs and outputs) must read asynchronously. Tiny sizes: lavapipe is slow.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { ATTACKS } from '@lrnas/schema';
import { initBackend } from '../backend.js';
import { runSuite, type SuiteAttackSpec } from './suite.js';
import { predictedLabels, randomImages, tinyConvNet } from './test-models.js';

before(async () => {
  assert.equal((await initBackend('webgpu')).tfBackend, 'webgpu');
});

/** Each attack with the fewest steps that still iterate (FAB and APGD-T on two target classes). */
const SPECS: Record<(typeof ATTACKS)[number], SuiteAttackSpec> = {
  fgsm: { name: 'fgsm' },
  pgd: { name: 'pgd', steps: 2, restarts: 2 },
  cw: { name: 'cw', steps: 2 },
  'cw-l2': { name: 'cw-l2', steps: 2 },
  'apgd-ce': { name: 'apgd-ce', steps: 3 },
  'apgd-dlr': { name: 'apgd-dlr', steps: 3 },
  'apgd-t': { name: 'apgd-t', steps: 3, targetClasses: 2 },
  'fab-t': { name: 'fab-t', steps: 2, targetClasses: 2 },
  square: { name: 'square', queries: 4 },
};

test('every attack of the suite runs on webgpu, inside the threat model, leaking no tensors', async () => {
  const net = tinyConvNet(1, 6, 1, 4);
  const x = randomImages(2, [4, 6, 6, 1]);
  const y = predictedLabels(net.model, x);
  const before = tf.memory().numTensors;
  const report = await runSuite(net.model, x, y, {
    threat: { norm: 'linf', epsilon: 0.1 },
    attacks: ATTACKS.map((name) => SPECS[name]),
    seed: 5,
  });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(report.cleanAccuracy, 1, 'labels are the predictions');
  assert.deepEqual(
    report.attacks.map((a) => a.name),
    [...ATTACKS],
  );
  for (const attack of report.attacks) {
    assert.equal(attack.attacked, 4, `${attack.name} attacked every example`);
    assert.ok(attack.robustAccuracy >= 0 && attack.robustAccuracy <= 1, attack.name);
  }
  assert.ok(
    report.robustAccuracy <= Math.min(...report.attacks.filter((a) => a.name !== 'cw-l2').map((a) => a.robustAccuracy)),
  );
  tf.dispose([x, y]);
  net.dispose();
});
