import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyStatus, isNewer, type RunProgressState, type StatusUpdate } from './run-progress.js';

const queued: RunProgressState = { status: 'QUEUED', attempts: 0, lastAttempt: 0, lastSeq: -1 };
const fold = (updates: StatusUpdate[]) => updates.reduce((s, u) => applyStatus(s, u) ?? s, queued);

test('events apply in (attempt, seq) order', () => {
  assert.ok(isNewer({ attempt: 1, seq: 0 }, queued));
  assert.ok(isNewer({ attempt: 2, seq: 0 }, { lastAttempt: 1, lastSeq: 50 }));
  assert.ok(!isNewer({ attempt: 1, seq: 3 }, { lastAttempt: 1, lastSeq: 3 }));
  assert.ok(!isNewer({ attempt: 1, seq: 9 }, { lastAttempt: 2, lastSeq: 0 }));
});

test('a replayed or late event never moves a run backwards', () => {
  const running = { attempt: 1, seq: 0, status: 'RUNNING', stage: 'search' } as const;
  const training = { attempt: 1, seq: 5, status: 'RUNNING', stage: 'train' } as const;
  const inOrder = fold([running, training]);
  assert.equal(inOrder.stage, 'train');
  assert.deepEqual(fold([training, running]), inOrder, 'the late search-stage event is ignored');
  assert.deepEqual(fold([running, training, training, running]), inOrder, 'replays change nothing');
  assert.equal(applyStatus(inOrder, training), undefined);
});

test('a finished run stays finished, whatever arrives after', () => {
  const done = fold([
    { attempt: 1, seq: 0, status: 'RUNNING' },
    { attempt: 1, seq: 9, status: 'SUCCEEDED' },
  ]);
  assert.equal(done.status, 'SUCCEEDED');
  assert.equal(applyStatus(done, { attempt: 2, seq: 0, status: 'RUNNING' }), undefined);
  assert.equal(applyStatus({ ...queued, status: 'CANCELLED' }, { attempt: 1, seq: 0, status: 'RUNNING' }), undefined);
});

test('a redelivered job continues under a new attempt, counted', () => {
  const state = fold([
    { attempt: 1, seq: 0, status: 'RUNNING', stage: 'search' },
    { attempt: 1, seq: 4, status: 'RUNNING', stage: 'search' },
    { attempt: 2, seq: 0, status: 'RUNNING' },
    { attempt: 1, seq: 5, status: 'RUNNING', stage: 'select' },
  ]);
  assert.deepEqual(state, { status: 'RUNNING', stage: 'search', attempts: 2, lastAttempt: 2, lastSeq: 0 });
});
