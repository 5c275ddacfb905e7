import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitEvent, type RunContext } from './event-admission.js';

const running: RunContext = { status: 'RUNNING', lastAttempt: 2, lastSeq: 0, workerId: 'w-b' };
const verdict = (run: RunContext, event: Parameters<typeof admitEvent>[1]) => {
  const a = admitEvent(run, event);
  return a.verdict === 'accept' ? 'accept' : `${a.verdict}:${a.reason}`;
};

test('events of the attempt holding the job are accepted', () => {
  assert.equal(verdict(running, { type: 'metric', attempt: 2, seq: 5 }), 'accept');
  assert.equal(verdict(running, { type: 'status', attempt: 2, seq: 9, workerId: 'w-b' }), 'accept');
  assert.equal(
    verdict(running, { type: 'status', attempt: 2, seq: 9 }),
    'accept',
    'no worker named: nothing to contradict',
  );
  assert.equal(verdict(running, { type: 'status', attempt: 3, seq: 0, workerId: 'w-c' }), 'accept', 'a redelivery');
});

test('an older attempt (a worker whose job went to another) is refused', () => {
  assert.equal(verdict(running, { type: 'metric', attempt: 1, seq: 50 }), 'refuse:stale_attempt');
  assert.equal(verdict(running, { type: 'status', attempt: 1, seq: 50 }), 'refuse:stale_attempt');
  // A redelivery announced in the same batch makes the old attempt stale already.
  const announced = { ...running, lastAttempt: 1, workerId: 'w-a', announcedAttempt: 2 };
  assert.equal(verdict(announced, { type: 'evaluation', attempt: 1, seq: 80 }), 'refuse:stale_attempt');
});

test('a status naming another worker than its attempt did is refused', () => {
  assert.equal(verdict(running, { type: 'status', attempt: 2, seq: 7, workerId: 'w-x' }), 'refuse:worker_mismatch');
});

test('after the end only what the finishing attempt sent before its last status is accepted', () => {
  const done: RunContext = { status: 'SUCCEEDED', lastAttempt: 2, lastSeq: 40, workerId: 'w-b' };
  assert.equal(verdict(done, { type: 'evaluation', attempt: 2, seq: 39 }), 'accept', 'stored after the status');
  assert.equal(verdict(done, { type: 'status', attempt: 2, seq: 40 }), 'accept', 'a replay, which changes nothing');
  assert.equal(verdict(done, { type: 'evaluation', attempt: 2, seq: 41 }), 'refuse:terminal');
  assert.equal(verdict(done, { type: 'metric', attempt: 3, seq: 0 }), 'refuse:terminal');
  assert.equal(verdict(done, { type: 'status', attempt: 3, seq: 0, workerId: 'w-c' }), 'refuse:terminal');
  assert.equal(verdict(done, { type: 'metric', attempt: 1, seq: 3 }), 'refuse:stale_attempt');
  const cancelledQueued: RunContext = { status: 'CANCELLED', lastAttempt: 0, lastSeq: -1 };
  assert.equal(verdict(cancelledQueued, { type: 'log', attempt: 1, seq: 0 }), 'refuse:terminal');
});

test('an attempt not seen starting waits for its RUNNING', () => {
  const queued: RunContext = { status: 'QUEUED', lastAttempt: 0, lastSeq: -1 };
  assert.equal(verdict(queued, { type: 'evaluation', attempt: 1, seq: 3 }), 'wait:not_started');
  assert.equal(verdict(running, { type: 'metric', attempt: 3, seq: 2 }), 'wait:not_started');
  assert.equal(verdict(queued, { type: 'status', attempt: 1, seq: 0, workerId: 'w-a' }), 'accept');
});
