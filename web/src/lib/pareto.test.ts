import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paretoFront } from './pareto.js';

const p = (params: number, robustAccuracy: number) => ({ params, robustAccuracy });

test('the front keeps the points no other beats on both size and robustness, smallest first', () => {
  const points = [p(300, 0.5), p(100, 0.3), p(200, 0.2), p(400, 0.45), p(500, 0.6), p(150, 0.3)];
  assert.deepEqual(paretoFront(points), [1, 0, 4]);
});

test('equal points are all on the front; a larger one with the same accuracy is not', () => {
  assert.deepEqual(paretoFront([p(100, 0.4), p(100, 0.4), p(120, 0.4)]), [0, 1]);
});

test('empty in, empty out; one point is its own front', () => {
  assert.deepEqual(paretoFront([]), []);
  assert.deepEqual(paretoFront([p(5, 0)]), [0]);
});
