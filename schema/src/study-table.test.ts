import assert from 'node:assert/strict';
import { test } from 'node:test';
import { studyTableLines, type StudyTableInput } from './study-table.js';

const row = (dataset: string, arm: string, worstCase: number, pgd: number): StudyTableInput => ({
  dataset,
  arm,
  params: 50_000,
  flops: 1_000_000,
  cleanAccuracy: 0.9,
  worstCase,
  attacks: [
    { attack: { name: 'fgsm' }, robustAccuracy: 0.7 },
    { attack: { name: 'pgd' }, robustAccuracy: pgd },
  ],
});

test('a study table has a line per data set and arm, arms in the contract order, figures as mean ± spread', () => {
  const lines = studyTableLines([
    row('mnist', 'resnet', 0.5, 0.6),
    row('mnist', 'lrnas', 0.4, 0.5),
    row('mnist', 'resnet', 0.3, 0.4),
    row('fashion-mnist', 'lrnas', 0.2, 0.3),
  ]);
  assert.deepEqual(
    lines.map((l) => [l.dataset, l.arm, l.worstCase.n]),
    [
      ['mnist', 'lrnas', 1],
      ['mnist', 'resnet', 2],
      ['fashion-mnist', 'lrnas', 1],
    ],
  );
  const resnet = lines[1]!;
  assert.ok(Math.abs(resnet.worstCase.mean - 0.4) < 1e-12);
  assert.ok(Math.abs(resnet.worstCase.spread - Math.SQRT2 * 0.1) < 1e-12, 'sample standard deviation');
  assert.deepEqual(
    resnet.attacks.map((a) => [a.attack, a.robust.n]),
    [
      ['fgsm', 2],
      ['pgd', 2],
    ],
  );
  assert.equal(lines[0]!.worstCase.spread, 0, 'one seed has no spread');
});
