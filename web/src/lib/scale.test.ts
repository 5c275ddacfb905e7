import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extent } from './scale.js';

test('extent ignores nulls and non-finite values and widens a flat series', () => {
  assert.deepEqual(extent([3, null, 1, Infinity, 2]), { min: 1, max: 3 });
  assert.deepEqual(extent([2, 2]), { min: 1.9, max: 2.1 });
  assert.equal(extent([null]), null);
});
