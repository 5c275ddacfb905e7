import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProgressEvent } from '@lrnas/schema';
import { progressAfter, progressAtStage, progressOfStatus } from './stage-progress.js';

const event = (attempt: number, seq: number, done: number, total = 40): ProgressEvent => ({
  v: 1,
  runId: 'run_1',
  attempt,
  seq,
  time: `2026-12-07T12:00:${String(seq).padStart(2, '0')}Z`,
  type: 'progress',
  stage: 'search',
  phase: 'estimate',
  done,
  total,
  rate: 2,
  etaSeconds: (total - done) / 2,
});

test('a progress event is stored with its fraction, rate and time; an older one never replaces it', () => {
  const first = progressAfter(undefined, event(1, 5, 10))!;
  assert.deepEqual(first, {
    stage: 'search',
    phase: 'estimate',
    done: 10,
    total: 40,
    fraction: 0.25,
    rate: 2,
    etaSeconds: 15,
    updatedAt: '2026-12-07T12:00:05Z',
    attempt: 1,
    seq: 5,
  });
  assert.equal(progressAfter(first, event(1, 4, 9)), undefined, 'an earlier event of the attempt');
  assert.equal(progressAfter(first, event(1, 5, 10)), undefined, 'a replay');
  assert.equal(progressAfter(first, event(2, 0, 3))?.done, 3, "a redelivery's first count replaces the last attempt's");
});

test('a stage that begins starts at 0 with no total; the same stage again keeps its count', () => {
  const counting = progressAfter(undefined, event(1, 5, 10));
  const train = progressAtStage(counting, 'train', { attempt: 1, seq: 6, time: '2026-12-07T12:01:00Z' });
  assert.deepEqual(train, { stage: 'train', done: 0, updatedAt: '2026-12-07T12:01:00Z', attempt: 1, seq: 6 });
  assert.equal(progressAtStage(counting, 'search', { attempt: 2, seq: 0, time: '2026-12-07T12:02:00Z' }), undefined);
  assert.equal(progressAtStage(train, 'evaluate', { attempt: 1, seq: 2, time: '2026-12-07T12:00:02Z' }), undefined);
  assert.equal(progressAtStage(undefined, 'search', { attempt: 1, seq: 0, time: '2026-12-07T12:00:00Z' })?.done, 0);
});

test("a status event's own count is a progress too, with no total while it is 0", () => {
  const at = { attempt: 1, seq: 3, time: '2026-12-07T12:00:03Z' };
  assert.equal(progressOfStatus('train', { done: 3, total: 12 }, at).fraction, 0.25);
  assert.deepEqual(progressOfStatus('train', { done: 0, total: 0 }, at), {
    stage: 'train',
    done: 0,
    updatedAt: '2026-12-07T12:00:03Z',
    attempt: 1,
    seq: 3,
  });
});
