import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distinctArtifacts, fileName, headlineResult, runDuration, stageText } from './run-summary.js';

test('the stage after success says every stage is done, not the last one as if still running', () => {
  assert.equal(
    stageText({ kind: 'PIPELINE', status: 'SUCCEEDED', stage: 'evaluate' }),
    'all 4 stages done (search, select, train, evaluate)',
  );
  assert.equal(stageText({ kind: 'PIPELINE', status: 'RUNNING', stage: 'train' }), 'train (stage 3 of 4)');
  assert.equal(stageText({ kind: 'PIPELINE', status: 'FAILED', stage: 'train' }), 'failed during train');
  assert.equal(stageText({ kind: 'PIPELINE', status: 'QUEUED', stage: null }), 'waiting for a worker');
});

test('duration: start to finish, or to now while running; none before the start', () => {
  const started = { startedAt: '2026-12-07T10:00:00.000Z' };
  assert.equal(runDuration({ ...started, status: 'SUCCEEDED', finishedAt: '2026-12-07T10:06:11.000Z' }, 0), 371_000);
  assert.equal(
    runDuration({ ...started, status: 'RUNNING', finishedAt: null }, Date.parse('2026-12-07T10:00:05.000Z')),
    5000,
  );
  assert.equal(runDuration({ startedAt: null, status: 'QUEUED', finishedAt: null }, 0), null);
});

test('the headline result: clean and the worst robust accuracy over the attacks at the experiment’s threat model', () => {
  const tm = { norm: 'LINF', epsilon: 0.1 };
  const run = {
    experiment: { threatModel: tm },
    evaluations: [
      { attack: 'fgsm', cleanAccuracy: 0.292, robustAccuracy: 0.15, threatModel: tm },
      { attack: 'pgd', cleanAccuracy: 0.292, robustAccuracy: 0.108, threatModel: tm },
      { attack: 'pgd', cleanAccuracy: 0.292, robustAccuracy: 0.01, threatModel: { norm: 'LINF', epsilon: 0.3 } },
    ],
  };
  assert.deepEqual(headlineResult(run), { clean: 0.292, robust: 0.108, worstAttack: 'pgd', attacks: 2 });
  assert.equal(headlineResult({ ...run, evaluations: [] }), null);
});

test('one download per distinct artifact, named by its file; same content is one entry', () => {
  const a = (name: string, digest: string) => ({ name, digest, kind: 'report', size: 1, stage: 'evaluate' });
  const shown = distinctArtifacts([
    a('run-1/report.json', 'x'),
    a('run-1/evaluation.json', 'x'),
    a('run-1/model/model.json', 'y'),
  ]);
  assert.deepEqual(
    shown.map((s) => [fileName(s.name), s.sameAs]),
    [
      ['evaluation.json', ['report.json']],
      ['model/model.json', []],
    ],
  );
});
