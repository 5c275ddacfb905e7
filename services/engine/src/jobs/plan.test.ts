import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContractError, jobSchema, type Job } from '@lrnas/schema';
import { SMALL_STUDY } from '../study/settings.js';
import { planJob } from './plan.js';

const studyJob = (study: Record<string, unknown>): Job =>
  jobSchema.parse({
    v: 1,
    kind: 'study',
    runId: 'run_s',
    experimentId: 'exp_1',
    createdAt: '2026-12-07T12:00:00Z',
    study,
  });

test("a study job plans as its study: the preset's values where the job sets none, the job's where it does", () => {
  const plan = planJob(studyJob({ datasets: ['mnist'], arms: ['random', 'resnet'], seeds: [0, 5], trainEpochs: 1 }));
  assert.equal(plan.kind, 'study');
  if (plan.kind !== 'study') return;
  assert.deepEqual(plan.settings.datasets, ['mnist']);
  assert.deepEqual(plan.settings.arms, ['random', 'resnet']);
  assert.deepEqual(plan.settings.seeds, [0, 5]);
  assert.equal(plan.settings.budget, SMALL_STUDY.budget);
  assert.equal(plan.settings.randomArchitectures, SMALL_STUDY.randomArchitectures);
  assert.equal(plan.settings.perDataset.mnist?.training.epochs, 1);
  assert.equal(plan.settings.perDataset['fashion-mnist'], undefined, 'only the data sets asked for');
});

test('a study job whose settings the engine cannot take is refused naming the field', () => {
  // Past the contract's check (a worker may decode an older job): the engine checks again.
  const job = { ...studyJob({}), study: { preset: 'small', arms: ['vgg'] } } as unknown as Job;
  assert.throws(
    () => planJob(job),
    (error: unknown) => error instanceof ContractError && error.field === 'study.arms.0',
  );
});
