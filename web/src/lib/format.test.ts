import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metric, progressText } from './format.js';

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

test('metric values: whole numbers in full (a parameter count is never rounded), others to 4 digits', () => {
  assert.equal(metric(44_322), '44,322');
  assert.equal(metric(3), '3');
  assert.equal(metric(0.123456), '0.1235');
  assert.equal(metric(2.5e-5), '2.50e-5');
  assert.equal(metric(null), '–');
});
