import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTally, liveTally, openSubscriptions, rateDecision, rateWindow } from './quota.js';

test('the rate window and how far into it', () => {
  assert.deepEqual(rateWindow(120_000 + 15_000), { index: 2, elapsed: 0.25 });
});

test('a sliding window: the previous minute weighs by the part of it still inside the last minute', () => {
  assert.deepEqual(rateDecision(10, 0, 9, 0.5), { allowed: true });
  assert.equal(rateDecision(10, 0, 10, 0.5).allowed, false);
  // 10 in the previous window, a quarter into this one: 7.5 of them still count.
  assert.deepEqual(rateDecision(10, 10, 1, 0.25), { allowed: true });
  assert.equal(rateDecision(10, 10, 2, 0.25).allowed, false);
  // Refused: retry once enough of the previous window slid out (3 of 10 to go: at 0.3, 3 s on)...
  assert.deepEqual(rateDecision(10, 10, 2, 0.25), { allowed: false, retryAfterMs: 3000 });
  // ...or, this window being full, in the next one once enough of this one slid out.
  assert.deepEqual(rateDecision(10, 0, 10, 0.5), { allowed: false, retryAfterMs: 36_000 });
});

test('subscription tallies: replicas that stopped confirming, or hold none, do not count', () => {
  const tally = { a: { count: 2, at: 1000 }, b: { count: 5, at: 0 }, c: { count: 0, at: 1000 } };
  const live = liveTally(tally, 1500, 1000);
  assert.deepEqual(live, { a: { count: 2, at: 1000 } });
  assert.equal(openSubscriptions(live), 2);
  assert.deepEqual(decodeTally(new TextEncoder().encode('{"a":{"count":1,"at":5},"b":{"count":"x"},"c":null}')), {
    a: { count: 1, at: 5 },
  });
  assert.deepEqual(decodeTally(new TextEncoder().encode('not json')), {});
});
