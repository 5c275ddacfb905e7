import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointCutoff, sweepInterval } from './retention.js';

test('the cutoff is the retention before now; 0 keeps checkpoints forever', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  assert.deepEqual(checkpointCutoff(now, 7 * 86_400_000), new Date('2026-11-30T00:00:00Z'));
  assert.equal(checkpointCutoff(now, 0), undefined);
});

test('sweeps run a tenth of the retention apart, between a minute and an hour', () => {
  assert.equal(sweepInterval(7 * 86_400_000), 3_600_000);
  assert.equal(sweepInterval(30 * 60_000), 180_000);
  assert.equal(sweepInterval(1000), 60_000);
});
