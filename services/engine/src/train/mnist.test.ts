// Robustness on MNIST at eps 0.3 (lrnas-method.md section 7) with a tiny network, small enough for CI:
// C=4, L=2 (both cells reduce), 2,000 training images, batch 32, wasm; two to three minutes on 2 cores. Seeds are fixed, so on one
// backend every figure repeats exactly; the thresholds leave room for kernels that round differently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGenotype } from '@lrnas/schema';
import { loadDataset } from '../data/load.js';
import type { Dataset } from '../data/dataset.js';
import { useBackend } from '../nn/test-util.js';
import { evaluateModel, type EvaluationReport } from '../evaluate/evaluate-model.js';
import { resolveTrainSettings } from './settings.js';
import { Trainer } from './trainer.js';

const GENOTYPE = parseGenotype({
  normal: [
    ['max_pool_3x3', 0],
    ['sep_conv_3x3', 1],
    ['skip_connect', 0],
    ['avg_pool_3x3', 2],
    ['max_pool_3x3', 1],
    ['skip_connect', 2],
    ['skip_connect', 3],
    ['max_pool_3x3', 0],
  ],
  normalConcat: [2, 3, 4, 5],
  reduce: [
    ['max_pool_3x3', 0],
    ['sep_conv_3x3', 1],
    ['skip_connect', 2],
    ['max_pool_3x3', 1],
    ['avg_pool_3x3', 0],
    ['skip_connect', 2],
    ['skip_connect', 2],
    ['max_pool_3x3', 1],
  ],
  reduceConcat: [2, 3, 4, 5],
});
const EPSILON = 0.3;
/** PGD-20 with step 2.5 eps / 20 (Madry et al.'s rule), and FGSM, on the same 200 test images. */
const ATTACKS = [{ name: 'fgsm' as const }, { name: 'pgd' as const, steps: 20, stepSize: (2.5 * EPSILON) / 20 }];
const EXAMPLES = 200;

let data: Promise<{ train: Dataset; test: Dataset }> | undefined;
const mnist = (): Promise<{ train: Dataset; test: Dataset }> =>
  (data ??= loadDataset({ name: 'mnist', trainLimit: 2000, testLimit: 300, seed: 1 }));

const shared = { channels: 4, layers: 2, batchSize: 32, schedule: 'cosine', weightDecay: 5e-4 } as const;
let standard: Promise<Trainer> | undefined;
/** 5 epochs of plain cross-entropy (315 steps); cosine to a small rate, so BN's running statistics settle. */
const standardTrainer = (): Promise<Trainer> =>
  (standard ??= (async () => {
    await useBackend('wasm');
    const settings = resolveTrainSettings({ ...shared, method: 'standard', epochs: 5, learningRate: 0.1 }, 'mnist');
    const trainer = new Trainer({ genotype: GENOTYPE, settings, seed: 3, ...(await mnist()) });
    assert.equal((await trainer.run()).status, 'completed');
    return trainer;
  })());

async function attack(
  trainer: Trainer,
): Promise<{ clean: number; fgsm: number; pgd: number; report: EvaluationReport }> {
  const report = await evaluateModel({
    network: trainer.network,
    data: (await mnist()).test,
    examples: EXAMPLES,
    seed: 0,
    threatModel: { norm: 'linf', epsilon: EPSILON },
    attacks: ATTACKS,
    batchSize: EXAMPLES,
  });
  const [fgsm, pgd] = report.attacks.map((a) => a.robustAccuracy) as [number, number];
  return { clean: report.cleanAccuracy, fgsm, pgd, report };
}

test('a standard-trained small network learns MNIST and falls to near zero under PGD-20 (eps 0.3)', async (t) => {
  const trainer = await standardTrainer();
  const { clean, fgsm, pgd } = await attack(trainer);
  t.diagnostic(`standard: clean ${clean}, FGSM ${fgsm}, PGD-20 ${pgd}`);
  assert.ok(clean >= 0.75, `clean accuracy ${clean}`);
  assert.ok(pgd <= 0.05, `PGD-20 accuracy ${pgd}`);
  assert.ok(pgd <= fgsm, `PGD ${pgd} above FGSM ${fgsm}`);
});

test('PGD adversarial training keeps substantial robust accuracy under PGD-20 (eps 0.3)', async (t) => {
  const base = await standardTrainer();
  const baseline = await attack(base);
  // Madry PGD-3 (step 2.5 eps / 3, random start) fine-tuning of the standard network for 4 epochs, the
  // training epsilon growing to 0.3 over the first: from scratch the tiny network needs far longer.
  const settings = resolveTrainSettings(
    { ...shared, method: 'madry', epochs: 4, learningRate: 0.05, attackSteps: 3 },
    'mnist',
    { epsilonWarmupEpochs: 1 },
  );
  const trainer = new Trainer({
    genotype: GENOTYPE,
    settings,
    seed: 3,
    ...(await mnist()),
    initialState: base.network,
  });
  assert.equal((await trainer.run()).status, 'completed');
  const { clean, fgsm, pgd } = await attack(trainer);
  t.diagnostic(`madry: clean ${clean}, FGSM ${fgsm}, PGD-20 ${pgd}; standard PGD-20 ${baseline.pgd}`);
  // Seeds 3, 4 and 5 gave 0.35, 0.395 and 0.445; other kernels' rounding moves these by a few points.
  assert.ok(pgd >= 0.2, `PGD-20 accuracy ${pgd}`);
  assert.ok(
    pgd >= baseline.pgd + 0.2,
    `PGD-20 accuracy ${pgd} not clearly above the standard network's ${baseline.pgd}`,
  );
  assert.ok(clean >= 0.6, `clean accuracy ${clean}`);
  assert.ok(pgd <= fgsm, `PGD ${pgd} above FGSM ${fgsm}`);
  trainer.dispose();
  base.dispose();
});
