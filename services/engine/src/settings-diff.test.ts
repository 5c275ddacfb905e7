import { test } from 'node:test';
import assert from 'node:assert/strict';
import { differingKeys } from './settings-diff.js';

test('differingKeys names the keys whose values differ as JSON, in the given order', () => {
  const given = { seed: 1, search: { epochs: 2 }, dataset: 'mnist', extra: undefined };
  assert.deepEqual(differingKeys(given, { seed: 1, search: { epochs: 2 }, dataset: 'mnist' }), []);
  assert.deepEqual(differingKeys(given, { seed: 2, search: { epochs: 3 }, dataset: 'mnist' }), ['seed', 'search']);
  assert.deepEqual(differingKeys({ a: 1 }, undefined), ['a']);
});
