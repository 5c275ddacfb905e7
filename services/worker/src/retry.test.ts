import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retrying } from './retry.js';

test('a failing action is tried again until it succeeds', async () => {
  let calls = 0;
  const result = await retrying(async () => {
    calls += 1;
    if (calls < 3) throw new Error(`timeout ${calls}`);
    return 'stored';
  }, [1, 1, 1]);
  assert.equal(result, 'stored');
  assert.equal(calls, 3);
});

test('the last error comes back once the pauses are used up', async () => {
  let calls = 0;
  await assert.rejects(
    retrying(async () => {
      calls += 1;
      throw new Error(`timeout ${calls}`);
    }, [1, 1]),
    /timeout 3/,
  );
  assert.equal(calls, 3);
});
