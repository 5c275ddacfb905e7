import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContractError } from '@lrnas/schema';
import { resolveTrainSettings, scheduleOf, trainingEpsilon } from './settings.js';

test("unset settings take the paper's retraining values (section 7)", () => {
  const s = resolveTrainSettings({}, 'cifar10');
  assert.equal(s.method, 'madry');
  assert.deepEqual(s.threatModel, { norm: 'linf', epsilon: 8 / 255 });
  assert.equal(s.channels, 36);
  assert.equal(s.layers, 20);
  assert.equal(s.epochs, 110);
  assert.equal(s.batchSize, 64);
  assert.equal(s.learningRate, 0.1);
  assert.equal(s.momentum, 0.9);
  assert.equal(s.weightDecay, 1e-4);
  assert.deepEqual(scheduleOf(s), { kind: 'step', baseLr: 0.1, milestones: [99, 104], gamma: 0.1 });
  assert.equal(s.attackSteps, 7);
  assert.equal(s.attackStepSize, 0.01);
  assert.equal(s.tradesBeta, 6);
  assert.equal(s.gradientClip, 5);
  assert.equal(s.augment, true);
  const m = resolveTrainSettings({ attackSteps: 10, epochs: 20 }, 'mnist', { gradientClip: null });
  assert.equal(m.epsilon, 0.3);
  assert.equal(m.attackStepSize, 0.075);
  assert.equal(m.augment, false);
  assert.deepEqual(m.milestones, [18, 18]);
  assert.equal(m.gradientClip, null);
});

test('bad settings are rejected with the field named', () => {
  const field = (config: unknown, extras = {}): string => {
    try {
      resolveTrainSettings(config, 'mnist', extras);
    } catch (error) {
      assert.ok(error instanceof ContractError);
      return error.field;
    }
    assert.fail('accepted');
  };
  assert.equal(field({ method: 'fast' }), 'method');
  assert.equal(field({ epochs: 0 }), 'epochs');
  assert.equal(field({ unknown: 1 }), '');
  assert.equal(field({ threatModel: { norm: 'l2', epsilon: 1 } }), 'threatModel.norm');
  assert.equal(field({ dropPath: 1 }), 'dropPath');
  assert.equal(field({}, { gradientClip: -1 }), 'gradientClip');
  assert.equal(field({}, { monitorPgdExamples: 1.5 }), 'monitorPgdExamples');
});

test('the epsilon warm-up grows the training epsilon step by step to the full value', () => {
  const s = resolveTrainSettings({ threatModel: { norm: 'linf', epsilon: 0.3 } }, 'mnist', { epsilonWarmupEpochs: 2 });
  // 2 epochs of 5 batches: 10 warm-up steps.
  assert.ok(Math.abs(trainingEpsilon(s, 0, 5) - 0.03) < 1e-12);
  assert.ok(Math.abs(trainingEpsilon(s, 4, 5) - 0.15) < 1e-12);
  assert.equal(trainingEpsilon(s, 9, 5), 0.3);
  assert.equal(trainingEpsilon(s, 50, 5), 0.3);
  assert.equal(trainingEpsilon({ ...s, epsilonWarmupEpochs: 0 }, 0, 5), 0.3);
});
