import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attackSettingsText } from './attack-settings.js';

test('attack settings read as steps, step size and restarts; none stored is said, not shown as {}', () => {
  assert.equal(
    attackSettingsText({ steps: 20, stepSize: 0.075, restarts: 1 }),
    '20 steps · step size 0.075 · 1 restart',
  );
  assert.equal(attackSettingsText({ stepSize: 0.3 }), 'step size 0.3');
  assert.equal(attackSettingsText({ steps: 1, restarts: 2, kappa: 0 }), '1 step · 2 restarts · kappa 0');
  assert.equal(attackSettingsText({}), 'defaults (not recorded)');
});
