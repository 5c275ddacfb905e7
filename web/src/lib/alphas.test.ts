import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addSnapshot, edgeRows, isCellMatrices, softmaxRows, type Snapshot } from './alphas.js';

const m = (v: number) => Array.from({ length: 14 }, () => Array.from({ length: 8 }, () => v));
const snap = (epoch: number, attempt: number, v = 0): Snapshot => ({
  epoch,
  attempt,
  alphas: { normal: m(v), reduce: m(v) },
  contributions: null,
});

test('fourteen edges: 2 + 3 + 4 + 5 inputs of the four nodes', () => {
  const labels = edgeRows();
  assert.equal(labels.length, 14);
  assert.deepEqual(labels[0], { from: { base: 'c', sub: 'k-2' }, to: { base: '0' }, text: 'cₖ₋₂ → 0' });
  assert.equal(labels[4]!.text, '0 → 1');
  assert.equal(labels[13]!.text, '2 → 3');
});

test('softmax per row sums to one and keeps the order', () => {
  const [row, large] = softmaxRows([
    [0, 1, 2, 0, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0, 1000],
  ]);
  assert.ok(Math.abs(row!.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(row![2]! > row![1]! && row![1]! > row![0]!);
  assert.ok(large![7]! > 0.99, 'no overflow with a large weight');
});

test('snapshots: one per epoch in order, a later attempt replaces an earlier one, not the reverse', () => {
  let h = addSnapshot([], snap(1, 1));
  h = addSnapshot(h, snap(0, 1));
  assert.deepEqual(
    h.map((s) => s.epoch),
    [0, 1],
  );
  h = addSnapshot(h, snap(1, 2, 5));
  assert.equal(h.length, 2);
  assert.equal(h[1]!.attempt, 2);
  h = addSnapshot(h, snap(1, 1));
  assert.equal(h[1]!.attempt, 2, 'a replayed older attempt does not win');
});

test('matrices from the API are checked before drawing', () => {
  assert.ok(isCellMatrices({ normal: m(0), reduce: m(1) }));
  assert.ok(!isCellMatrices({ normal: m(0) }));
  assert.ok(!isCellMatrices({ normal: m(0).slice(1), reduce: m(0) }));
  assert.ok(!isCellMatrices(null));
});
