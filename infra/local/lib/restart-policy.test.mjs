import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from './restart-policy.mjs';

const policy = () =>
  new RestartPolicy({ baseDelayMs: 1000, maxDelayMs: 8000, maxCrashes: 6, windowMs: 60_000, healthyAfterMs: 30_000 });

test('restarts with doubling delays, capped, and gives up after too many crashes in the window', () => {
  const p = policy();
  const delays = [0, 1, 2, 3, 4].map((i) => p.crashed(i * 100, 50).delayMs);
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
  assert.deepEqual(p.crashed(600, 50), { restart: false, crashes: 6 });
});

test('crashes older than the window no longer count', () => {
  const p = policy();
  for (let i = 0; i < 5; i++) p.crashed(i * 1000, 50);
  assert.deepEqual(p.crashed(70_000, 50), { restart: true, delayMs: 1000, crashes: 1 });
});

test('a process that ran a healthy while starts its backoff afresh', () => {
  const p = policy();
  for (let i = 0; i < 4; i++) p.crashed(i * 1000, 50);
  assert.deepEqual(p.crashed(40_000, 35_000), { restart: true, delayMs: 1000, crashes: 1 });
});
