import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricBatch } from './metric-batch.js';

const t1 = new Date('2026-01-01T00:00:01Z');
const t2 = new Date('2026-01-01T00:00:02Z');
const rows = (batch: MetricBatch, runId: string) =>
  batch
    .byRun()
    .get(runId)!
    .map((p) => [p.key, p.step, p.value, p.time.getTime() / 1000 - 1767225600]);

test('points of increasing steps are kept as sent, per run', () => {
  const batch = new MetricBatch();
  batch.add(
    'a',
    [
      { key: 'loss', step: 0, value: 1 },
      { key: 'acc', step: 0, value: 0.1 },
    ],
    t1,
  );
  batch.add('b', [{ key: 'loss', step: 0, value: 5 }], t1);
  batch.add(
    'a',
    [
      { key: 'loss', step: 1, value: 0.9 },
      { key: 'acc', step: 1, value: 0.2 },
    ],
    t2,
  );
  assert.equal(batch.size, 5);
  assert.deepEqual(rows(batch, 'a'), [
    ['loss', 0, 1, 1],
    ['acc', 0, 0.1, 1],
    ['loss', 1, 0.9, 2],
    ['acc', 1, 0.2, 2],
  ]);
  assert.deepEqual(rows(batch, 'b'), [['loss', 0, 5, 1]]);
});

test('a replayed or repeated point is kept once: the last one written, where the first was', () => {
  const batch = new MetricBatch();
  const points = [0, 1, 2].map((step) => ({ key: 'loss', step, value: step }));
  batch.add('a', points, t1);
  batch.add('b', [{ key: 'loss', step: 7, value: 7 }], t1);
  batch.add(
    'a',
    [...points.slice(1).map((p) => ({ ...p, value: p.value + 10 })), { key: 'loss', step: 3, value: 3 }],
    t2,
  );
  assert.deepEqual(rows(batch, 'a'), [
    ['loss', 0, 0, 1],
    ['loss', 1, 11, 2],
    ['loss', 2, 12, 2],
    ['loss', 3, 3, 2],
  ]);
  assert.deepEqual(rows(batch, 'b'), [['loss', 7, 7, 1]], "another run's points are not touched");
});

test('a step repeated inside one event, or a key going back to an earlier step, is found', () => {
  const batch = new MetricBatch();
  batch.add(
    'a',
    [
      { key: 'loss', step: 5, value: 1 },
      { key: 'acc', step: 2, value: 0.5 },
      { key: 'loss', step: 5, value: 2 },
      { key: 'acc', step: 1, value: 0.4 },
    ],
    t1,
  );
  assert.deepEqual(rows(batch, 'a'), [
    ['loss', 5, 2, 1],
    ['acc', 2, 0.5, 1],
    ['acc', 1, 0.4, 1],
  ]);
});

test("a point that carries its own time (a logged run's) keeps it; the others take the event's", () => {
  const batch = new MetricBatch();
  batch.add(
    'a',
    [
      { key: 'loss', step: 0, value: 1, time: '2026-01-01T00:00:00.000Z' },
      { key: 'loss', step: 1, value: 2 },
    ],
    t1,
  );
  assert.deepEqual(
    batch
      .byRun()
      .get('a')!
      .map((p) => p.time.toISOString()),
    ['2026-01-01T00:00:00.000Z', t1.toISOString()],
  );
});
