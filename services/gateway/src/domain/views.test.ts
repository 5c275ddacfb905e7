import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineSuites } from './attack-suite.js';
import { configDifferences } from './config-diff.js';
import { stageTimeline } from './stages.js';
import { isStalled } from './stall.js';

const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

test('stage timeline: one span per stage, a retried stage stays one span and is current again', () => {
  assert.deepEqual(
    stageTimeline(
      [
        { stage: 'search', at: t(0) },
        { stage: 'search', at: t(1) },
        { stage: 'select', at: t(5) },
        { stage: null, at: t(6) },
        { stage: 'train', at: t(7) },
      ],
      t(9),
    ),
    [
      { stage: 'search', startedAt: t(0), endedAt: t(5) },
      { stage: 'select', startedAt: t(5), endedAt: t(7) },
      { stage: 'train', startedAt: t(7), endedAt: t(9) },
    ],
  );
  const retried = stageTimeline([
    { stage: 'search', at: t(0) },
    { stage: 'train', at: t(3) },
    { stage: 'search', at: t(4) },
  ]);
  assert.deepEqual(retried, [
    { stage: 'train', startedAt: t(3), endedAt: t(4) },
    { stage: 'search', startedAt: t(0), endedAt: undefined },
  ]);
});

test('a run is stalled only while RUNNING and silent for longer than the threshold', () => {
  assert.equal(isStalled({ status: 'RUNNING', lastEventAt: t(0) }, t(3)), true);
  assert.equal(isStalled({ status: 'RUNNING', lastEventAt: t(0) }, t(1)), false);
  assert.equal(isStalled({ status: 'SUCCEEDED', lastEventAt: t(0) }, t(30)), false);
  assert.equal(isStalled({ status: 'RUNNING' }, t(30)), false, 'never heard of: not started yet');
});

test('config differences list only the settings that differ, by dotted path', () => {
  assert.deepEqual(
    configDifferences([
      { train: { epochs: 10, milestones: [5, 8] }, seed: 1 },
      { train: { epochs: 20, milestones: [5, 9] }, seed: 1 },
      { train: { epochs: 10, milestones: [5, 8], augment: true }, seed: 1 },
    ]),
    [
      { path: 'train.augment', values: [undefined, undefined, true] },
      { path: 'train.epochs', values: [10, 20, 10] },
      { path: 'train.milestones[1]', values: [8, 9, 8] },
    ],
  );
  assert.deepEqual(configDifferences([{ a: 1 }, { a: 1 }]), []);
});

test('a run scores its worst case over the attack suite', () => {
  const suites = combineSuites([
    { runId: 'a', attack: 'fgsm', robustAccuracy: 0.6, cleanAccuracy: 0.9 },
    { runId: 'a', attack: 'pgd', robustAccuracy: 0.4, cleanAccuracy: 0.9 },
    { runId: 'b', attack: 'pgd', robustAccuracy: 0.5, cleanAccuracy: 0.8 },
  ]);
  assert.deepEqual(
    suites.map((s) => [s.runId, s.robustAccuracy, s.decisive.attack, s.evaluations.length]),
    [
      ['a', 0.4, 'pgd', 2],
      ['b', 0.5, 'pgd', 1],
    ],
  );
});
