import assert from 'node:assert/strict';
import { test } from 'node:test';
import { within } from './deadline.js';

test('a promise that settles in time passes through, value or error', async () => {
  assert.equal(await within(Promise.resolve('object'), 1000, 'reading x'), 'object');
  await assert.rejects(within(Promise.reject(new Error('gone')), 1000, 'reading x'), /gone/);
});

test('a promise that never settles is rejected, naming what waited', async () => {
  await assert.rejects(within(new Promise(() => {}), 20, 'reading run-a/search.ckpt'), {
    message: 'reading run-a/search.ckpt took longer than 0 s',
  });
});
