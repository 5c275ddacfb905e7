import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeline } from './timeline.js';

const span = (stage: string, endedAt: string | null = 't2') => ({ stage, startedAt: 't1', endedAt });

test('a running pipeline: finished stages done, the open one current, the rest pending', () => {
  assert.deepEqual(
    timeline('PIPELINE', 'RUNNING', [span('search'), span('select', null)]).map((s) => [s.stage, s.state]),
    [
      ['search', 'done'],
      ['select', 'current'],
      ['train', 'pending'],
      ['evaluate', 'pending'],
    ],
  );
});

test('a failed run marks the stage it stopped in', () => {
  assert.deepEqual(
    timeline('SEARCH', 'FAILED', [span('search')]).map((s) => s.state),
    ['stopped', 'pending'],
  );
});

test('a succeeded run is done throughout; an unknown stage is shown too', () => {
  assert.deepEqual(
    timeline('TRAIN', 'SUCCEEDED', [span('train'), span('export')]).map((s) => [s.stage, s.state]),
    [
      ['train', 'done'],
      ['export', 'done'],
    ],
  );
});
