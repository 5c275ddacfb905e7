import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scatterData } from './scatter.js';

test('scatter columns ascend in parameters; the front has values only at its own points', () => {
  const p = (id: string, x: number, y: number, onFront: boolean) => ({ id, x, y, label: id, onFront });
  const data = scatterData([p('big', 9000, 0.5, true), p('small', 4000, 0.2, true), p('worse', 6000, 0.1, false)]);
  assert.deepEqual(data.ids, ['small', 'worse', 'big']);
  assert.deepEqual(data.xs, [4000, 6000, 9000]);
  assert.deepEqual(data.ys, [0.2, 0.1, 0.5]);
  assert.deepEqual(data.front, [0.2, undefined, 0.5]);
});
