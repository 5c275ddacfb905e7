import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressText } from './format.js';

test('progress reads as phase, count, share, rate and time left', () => {
  const base = { stage: 'search', phase: 'estimate', done: 20, total: 40, fraction: 0.5, rate: 4, etaSeconds: 5 };
  assert.equal(progressText(base), 'estimate 20/40 (50.0%) · 4.0/s · 5s left');
  assert.equal(progressText({ ...base, rate: 123.4, etaSeconds: 90 }), 'estimate 20/40 (50.0%) · 123/s · 1m 30s left');
  assert.equal(progressText({ ...base, done: 40, fraction: 1, etaSeconds: 0 }), 'estimate 40/40 (100.0%) · 4.0/s');
  assert.equal(progressText({ ...base, rate: null, etaSeconds: null }), 'estimate 20/40 (50.0%)');
  assert.equal(
    progressText({ stage: 'train', phase: null, done: 0, total: null, fraction: null, rate: null, etaSeconds: null }),
    'train starting',
  );
});
