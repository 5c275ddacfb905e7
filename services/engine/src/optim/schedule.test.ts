import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cosineLr,
  defaultMilestones,
  dropPathProbability,
  learningRate,
  stepLr,
  validateSchedule,
} from './schedule.js';

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

test('cosine schedule: base at epoch 0, half at mid-run, 0 at the end, cos shape between', () => {
  close(cosineLr(0.1, 0, 10), 0.1);
  close(cosineLr(0.1, 5, 10), 0.05);
  close(cosineLr(0.1, 10, 10), 0);
  // 0.1 * (1 + cos(pi/5)) / 2, cos(pi/5) = (1 + sqrt 5) / 4
  close(cosineLr(0.1, 2, 10), (0.1 * (1 + (1 + Math.sqrt(5)) / 4)) / 2);
  close(cosineLr(0.1, 5, 10, 0.02), 0.06);
  close(learningRate({ kind: 'cosine', baseLr: 0.025, epochs: 50 }, 25), 0.0125);
});

test('step schedule: x gamma at each milestone reached (the paper: x0.1 at 99 and 104 of 110)', () => {
  const s = { kind: 'step', baseLr: 0.1, milestones: [99, 104] } as const;
  assert.equal(learningRate(s, 0), 0.1);
  assert.equal(learningRate(s, 98), 0.1);
  close(learningRate(s, 99), 0.01);
  close(learningRate(s, 103), 0.01);
  close(learningRate(s, 104), 0.001);
  close(learningRate(s, 109), 0.001);
  close(stepLr(1, 3, [1, 2], 0.5), 0.25);
  assert.deepEqual(defaultMilestones(110), [99, 104]);
  assert.deepEqual(defaultMilestones(10), [9, 9]);
});

test('drop-path probability rises linearly from 0 (DARTS)', () => {
  assert.equal(dropPathProbability(0.2, 0, 10), 0);
  close(dropPathProbability(0.2, 5, 10), 0.1);
  close(dropPathProbability(0.3, 9, 10), 0.27);
});

test('schedules with bad numbers are rejected by field', () => {
  assert.throws(() => validateSchedule({ kind: 'cosine', baseLr: 0, epochs: 3 }), /learningRate/);
  assert.throws(() => validateSchedule({ kind: 'cosine', baseLr: 0.1, epochs: 0 }), /epochs/);
  assert.throws(() => validateSchedule({ kind: 'step', baseLr: 0.1, milestones: [3, -1] }), /milestones\[1\]/);
});
