import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracies, upsertRow, viewRows, type RunRow, type TableState } from './run-table.js';

const row = (id: string, extra: Partial<RunRow> = {}): RunRow => ({
  id,
  kind: 'PIPELINE',
  status: 'SUCCEEDED',
  stage: null,
  workerId: 'w-1',
  createdAt: '2026-01-01T00:00:00Z',
  startedAt: null,
  finishedAt: null,
  architecture: null,
  evaluations: [],
  ...extra,
});
const state = (extra: Partial<TableState> = {}): TableState => ({
  sort: 'createdAt',
  descending: true,
  status: '',
  kind: '',
  text: '',
  ...extra,
});

const rows = [
  row('a', { architecture: { hash: 'h1', params: 300 }, createdAt: '2026-01-01T00:00:01Z' }),
  row('b', { status: 'RUNNING', createdAt: '2026-01-01T00:00:03Z' }),
  row('c', { kind: 'SEARCH', architecture: { hash: 'h2', params: 100 }, createdAt: '2026-01-01T00:00:02Z' }),
];

test('sorted newest first by default; by parameters with the runs lacking them last in both directions', () => {
  assert.deepEqual(
    viewRows(rows, state(), 0).map((r) => r.id),
    ['b', 'c', 'a'],
  );
  assert.deepEqual(
    viewRows(rows, state({ sort: 'params', descending: false }), 0).map((r) => r.id),
    ['c', 'a', 'b'],
  );
  assert.deepEqual(
    viewRows(rows, state({ sort: 'params', descending: true }), 0).map((r) => r.id),
    ['a', 'c', 'b'],
  );
});

test('filters by status, kind and text', () => {
  assert.deepEqual(
    viewRows(rows, state({ status: 'RUNNING' }), 0).map((r) => r.id),
    ['b'],
  );
  assert.deepEqual(
    viewRows(rows, state({ kind: 'SEARCH' }), 0).map((r) => r.id),
    ['c'],
  );
  assert.deepEqual(
    viewRows(rows, state({ text: 'A' }), 0).map((r) => r.id),
    ['a'],
  );
});

test('accuracies are the worst robust evaluation and its clean accuracy', () => {
  const r = row('x', {
    evaluations: [
      { cleanAccuracy: 0.9, robustAccuracy: 0.5 },
      { cleanAccuracy: 0.8, robustAccuracy: 0.4 },
    ],
  });
  assert.deepEqual(accuracies(r), { clean: 0.8, robust: 0.4 });
  assert.deepEqual(accuracies(row('y')), { clean: null, robust: null });
});

test('a live update replaces its row or adds it first', () => {
  const updated = upsertRow(rows, row('b', { status: 'SUCCEEDED' }));
  assert.equal(updated.find((r) => r.id === 'b')!.status, 'SUCCEEDED');
  assert.equal(updated.length, 3);
  assert.equal(upsertRow(rows, row('d'))[0]!.id, 'd');
});
