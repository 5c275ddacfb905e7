import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATASETS } from './common.js';
import { RUN_STATUSES } from './events.js';
import { ATTACKS } from './jobs.js';
import {
  enumName,
  enumObject,
  isTerminalRunStatus,
  RUN_KINDS,
  stagesOfRunKind,
  TERMINAL_RUN_STATUSES,
} from './vocabulary.js';

test('enum objects hold every contract value under its upper-snake name, in the list order', () => {
  const datasets = enumObject(DATASETS);
  assert.equal(datasets.FASHION_MNIST, 'fashion-mnist');
  assert.deepEqual(Object.values(datasets), [...DATASETS]);
  assert.deepEqual(Object.keys(enumObject(ATTACKS)), [
    'FGSM',
    'PGD',
    'CW',
    'CW_L2',
    'APGD_CE',
    'APGD_DLR',
    'APGD_T',
    'FAB_T',
    'SQUARE',
  ]);
  assert.equal(enumName('apgd-dlr'), 'APGD_DLR');
  assert.deepEqual(RUN_KINDS, ['SEARCH', 'TRAIN', 'EVALUATE', 'PIPELINE', 'STUDY']);
});

test('the terminal statuses are run statuses, and only they are terminal', () => {
  for (const status of TERMINAL_RUN_STATUSES) assert.ok((RUN_STATUSES as readonly string[]).includes(status));
  assert.deepEqual(RUN_STATUSES.filter(isTerminalRunStatus), ['SUCCEEDED', 'FAILED', 'CANCELLED']);
});

test("a run kind's stages are its job kind's, the pipeline's all four in order", () => {
  assert.deepEqual(stagesOfRunKind('PIPELINE'), ['search', 'select', 'train', 'evaluate']);
  assert.deepEqual(stagesOfRunKind('SEARCH'), ['search', 'select']);
  assert.deepEqual(stagesOfRunKind('EVALUATE'), ['evaluate']);
  assert.deepEqual(stagesOfRunKind('pipeline'), []);
});
