import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiSettings } from './api-settings.js';
import { evaluateConfigSchema, searchConfigSchema, selectionConfigSchema, trainConfigSchema } from './jobs.js';

test('settings in the contract’s words get the API’s enum names, at any depth, and nothing else changes', () => {
  assert.deepEqual(apiSettings(searchConfigSchema, { preset: 'paper', epochs: 3, estimationMode: 'reference' }), {
    preset: 'PAPER',
    epochs: 3,
    estimationMode: 'REFERENCE',
  });
  assert.deepEqual(apiSettings(selectionConfigSchema, { budget: 60_000, mode: 'no-greedy' }), {
    budget: 60_000,
    mode: 'NO_GREEDY',
  });
  assert.deepEqual(
    apiSettings(trainConfigSchema, {
      method: 'fgsm-rs',
      threatModel: { norm: 'linf', epsilon: 0.1 },
      milestones: [3, 6],
      augment: false,
    }),
    { method: 'FGSM_RS', threatModel: { norm: 'LINF', epsilon: 0.1 }, milestones: [3, 6], augment: false },
  );
  assert.deepEqual(
    apiSettings(evaluateConfigSchema, {
      threatModel: { norm: 'l2', epsilon: 0.5 },
      attacks: [{ name: 'apgd-ce', steps: 100 }, { name: 'fgsm' }],
    }),
    { threatModel: { norm: 'L2', epsilon: 0.5 }, attacks: [{ name: 'APGD_CE', steps: 100 }, { name: 'FGSM' }] },
  );
});

test('absent settings stay absent, and a key the contract does not know is passed on for the API to refuse', () => {
  assert.equal(apiSettings(searchConfigSchema, undefined), undefined);
  assert.deepEqual(apiSettings(searchConfigSchema, {}), {});
  assert.deepEqual(apiSettings(searchConfigSchema, { presets: 'tiny' }), { presets: 'tiny' });
});
