import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ATTACK_SUITES, attackSpecSchema, threatModelSchema } from '@lrnas/schema';
import { resolveAttackSettings } from './suite.js';
import { fgsm } from './fgsm.js';
import { misclassifiedBy } from './gradient.js';
import { pgd } from './pgd.js';
import { runSuite, suiteAttackSeed, type SuiteAttackSpec, type SuiteReport } from './suite.js';
import { boundaryImages, convCase, predictedLabels, TEST_BACKENDS, tinyConvNet, useBackend } from './test-models.js';
import { takeRows } from './worst-case.js';

const ATTACKS: SuiteAttackSpec[] = [
  { name: 'fgsm' },
  { name: 'pgd', steps: 5 },
  { name: 'cw', steps: 8 },
  { name: 'apgd-ce', steps: 8 },
  { name: 'apgd-dlr', steps: 8 },
  { name: 'square', queries: 40 },
];

/** Labels equal to the model's predictions except every fifth, so that clean accuracy is 80%. */
function labels(model: Parameters<typeof predictedLabels>[0], x: tf.Tensor4D, classes: number): tf.Tensor1D {
  const predicted = predictedLabels(model, x);
  const data = Array.from(predicted.dataSync(), (label, i) => (i % 5 === 0 ? (label + 1) % classes : label));
  predicted.dispose();
  return tf.tensor1d(data, 'int32');
}

const withoutTimes = (r: SuiteReport): unknown => ({ ...r, attacks: r.attacks.map(({ seconds: _, ...rest }) => rest) });

for (const backend of TEST_BACKENDS) {
  test(`suite: overall robustness is the per-example AND over attacks (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(1, 8, 3, 10);
    const x = boundaryImages(2, [20, 8, 8, 3]);
    const y = labels(net.model, x, 10);
    const epsilon = 0.02;
    const calls: Array<[number, number]> = [];
    const before = tf.memory().numTensors;
    const report = await runSuite(net.model, x, y, {
      threat: { norm: 'linf', epsilon },
      attacks: ATTACKS,
      seed: 7,
      onProgress: (done, total) => calls.push([done, total]),
    });
    assert.equal(tf.memory().numTensors, before, 'the suite leaves no tensors behind');

    assert.equal(report.examples, 20);
    assert.equal(report.cleanAccuracy, 0.8);
    assert.deepEqual(
      report.cleanCorrect,
      Array.from({ length: 20 }, (_, i) => i % 5 !== 0),
    );
    for (let i = 0; i < 20; i++) {
      assert.equal(
        report.robust[i],
        report.cleanCorrect[i] && report.attacks.every((a) => a.robust[i]),
        `example ${i}`,
      );
    }
    const share = (flags: boolean[]): number => flags.filter(Boolean).length / flags.length;
    assert.equal(report.robustAccuracy, share(report.robust));
    for (const a of report.attacks) {
      assert.equal(a.robustAccuracy, share(a.robust));
      assert.ok(report.robustAccuracy <= a.robustAccuracy);
      assert.equal(a.attacked, 16);
    }
    assert.ok(report.robustAccuracy < report.cleanAccuracy, 'the attacks break something');
    assert.deepEqual(
      report.attacks.map((a) => a.settings),
      [
        { name: 'fgsm', epsilon, stepSize: epsilon, randomStart: false, loss: 'ce', bound: 'linf' },
        {
          name: 'pgd',
          epsilon,
          steps: 5,
          stepSize: epsilon / 4,
          restarts: 1,
          randomStart: true,
          loss: 'ce',
          bound: 'linf',
        },
        {
          name: 'cw',
          epsilon,
          steps: 8,
          stepSize: epsilon / 4,
          restarts: 1,
          randomStart: true,
          loss: 'margin',
          kappa: 0,
          bound: 'linf',
        },
        {
          name: 'apgd-ce',
          epsilon,
          steps: 8,
          restarts: 1,
          randomStart: true,
          loss: 'ce',
          rho: 0.75,
          alpha: 0.75,
          bound: 'linf',
        },
        {
          name: 'apgd-dlr',
          epsilon,
          steps: 8,
          restarts: 1,
          randomStart: true,
          loss: 'dlr',
          rho: 0.75,
          alpha: 0.75,
          bound: 'linf',
        },
        { name: 'square', epsilon, queries: 40, restarts: 1, pInit: 0.05, loss: 'margin', bound: 'linf' },
      ],
    );
    assert.deepEqual(calls.at(-1), [20 * 7, 20 * 7]);
    assert.equal(calls.length, 7);
    calls.forEach(([done], k) => assert.equal(done, 20 * (k + 1)));

    // Attacks reproduce standalone on the clean-correct examples: FGSM exactly, PGD with the suite's seed.
    const correct = report.cleanCorrect.flatMap((ok, i) => (ok ? [i] : []));
    const xs = takeRows(x, correct);
    const ys = takeRows(y, correct);
    const alone = await fgsm(net.model, xs, ys, { epsilon });
    const pgdAlone = await pgd(net.model, xs, ys, {
      epsilon,
      steps: 5,
      seed: suiteAttackSeed(7, 1, 0),
      returnSuccess: true,
    });
    const fgsmRobust = (await misclassifiedBy(net.model, alone, ys)).map((wrong) => !wrong);
    assert.deepEqual(
      correct.map((i) => report.attacks[0]!.robust[i]),
      fgsmRobust,
    );
    assert.deepEqual(
      correct.map((i) => report.attacks[1]!.robust[i]),
      pgdAlone.success.map((s) => !s),
    );
    tf.dispose([xs, ys, alone, pgdAlone.adversarial, x, y]);
    net.dispose();
  });

  test(`suite: batches, cascade and seeds (${backend})`, async () => {
    await useBackend(backend);
    const net = tinyConvNet(3, 6, 3, 5);
    const x = boundaryImages(4, [17, 6, 6, 3]);
    const y = labels(net.model, x, 5);
    const threat = { norm: 'linf', epsilon: 0.03 };
    const before = tf.memory().numTensors;
    const calls: number[] = [];
    const options = { threat, attacks: ATTACKS, seed: 3, batchSize: 6, onProgress: (done: number) => calls.push(done) };
    const a = await runSuite(net.model, x, y, options);
    const b = await runSuite(net.model, x, y, { ...options, onProgress: undefined });
    assert.deepEqual(withoutTimes(a), withoutTimes(b), 'same seed, same report');
    assert.equal(calls.length, 3 * 7, 'three batches, each a clean pass and six attacks');
    assert.equal(calls.at(-1), 17 * 7);
    for (let i = 0; i < 17; i++) assert.equal(a.robust[i], a.cleanCorrect[i] && a.attacks.every((r) => r.robust[i]));

    const cascade = await runSuite(net.model, x, y, { threat, attacks: ATTACKS, seed: 3, batchSize: 6, cascade: true });
    assert.equal(cascade.cascade, true);
    for (let i = 0; i < 17; i++)
      assert.equal(cascade.robust[i], cascade.cleanCorrect[i] && cascade.attacks.every((r) => r.robust[i]));
    // Cumulative: an example stays robust after attack k only if it was robust after attack k - 1.
    for (let k = 1; k < ATTACKS.length; k++) {
      for (let i = 0; i < 17; i++) assert.ok(!cascade.attacks[k]!.robust[i] || cascade.attacks[k - 1]!.robust[i]);
      assert.ok(cascade.attacks[k]!.attacked <= cascade.attacks[k - 1]!.attacked);
    }
    assert.deepEqual(cascade.robust, cascade.attacks.at(-1)!.robust);
    // FGSM has no randomness and runs first, so it sees the same examples in both modes.
    assert.deepEqual(cascade.attacks[0]!.robust, a.attacks[0]!.robust);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    net.dispose();
  });
}

test('suite takes the attack specs and threat model of an evaluate job as they are', async () => {
  await useBackend('cpu');
  const { net, x, y, dispose } = convCase({ seed: 3, size: 6, classes: 5 }, { seed: 4, count: 6 });
  const threat = threatModelSchema.parse({ norm: 'linf', epsilon: 8 / 255 });
  const attacks = [
    attackSpecSchema.parse({ name: 'pgd', steps: 3, stepSize: 2 / 255, restarts: 2 }),
    attackSpecSchema.parse({ name: 'square', steps: 10 }),
  ];
  const report = await runSuite(net.model, x, y, { threat, attacks, seed: 1 });
  assert.deepEqual(report.threat, { norm: 'linf', epsilon: 8 / 255 });
  assert.equal(report.attacks[0]!.settings.steps, 3);
  assert.equal(report.attacks[0]!.settings.stepSize, 2 / 255);
  assert.equal(report.attacks[0]!.settings.restarts, 2);
  assert.equal(report.attacks[1]!.settings.queries, 10, 'square reads steps as its query budget');
  dispose();
});

test('suite rejects bad settings and stops when aborted', async () => {
  await useBackend('cpu');
  const { net, x, y, dispose } = convCase({ seed: 3, size: 6, classes: 5 }, { seed: 4, count: 4 });
  const threat = { norm: 'linf', epsilon: 0.03 };
  const before = tf.memory().numTensors;
  await assert.rejects(
    runSuite(net.model, x, y, { threat: { norm: 'l2', epsilon: 0.5 }, attacks: ATTACKS }),
    /threatModel.norm/,
  );
  await assert.rejects(runSuite(net.model, x, y, { threat, attacks: [] }), /attacks/);
  await assert.rejects(
    runSuite(net.model, x, y, { threat, attacks: [{ name: 'pgd', steps: 0 }] }),
    /attacks\[0\]\.steps/,
  );
  await assert.rejects(
    runSuite(net.model, x, y, { threat, attacks: [{ name: 'deepfool' as 'pgd' }] }),
    /attacks\[0\]\.name/,
  );
  await assert.rejects(runSuite(net.model, x, y, { threat, attacks: ATTACKS, batchSize: 0 }), /batchSize/);
  const controller = new AbortController();
  const running = runSuite(net.model, x, y, {
    threat,
    attacks: ATTACKS,
    signal: controller.signal,
    onProgress: (done) => {
      if (done >= 8) controller.abort();
    },
  });
  await assert.rejects(running, { name: 'AbortError' });
  assert.equal(tf.memory().numTensors, before);
  dispose();
});

test('suite attack seeds are deterministic, order-sensitive, distinct per batch and valid job seeds (31 bits)', () => {
  assert.equal(suiteAttackSeed(1, 2, 3), suiteAttackSeed(1, 2, 3));
  assert.notEqual(suiteAttackSeed(1, 2, 3), suiteAttackSeed(1, 3, 2));
  assert.notEqual(suiteAttackSeed(0, 0, 0), suiteAttackSeed(0, 0, 1));
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const s = suiteAttackSeed(5, 0, i);
    assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 31);
    seen.add(s);
  }
  assert.equal(seen.size, 1000);
});

test('the standard suite runs AutoAttack-style; cw-l2 is reported but not counted in the worst case', async () => {
  await useBackend('wasm');
  const net = tinyConvNet(5, 6, 3, 10);
  const x = boundaryImages(6, [12, 6, 6, 3]);
  const y = labels(net.model, x, 10);
  const epsilon = 0.02;
  // The standard suite with its iterations cut down (the defaults are tested below); cw-l2 first, so that its
  // successes would show in the others' counts if it took examples out of the cascade.
  const small: Record<string, SuiteAttackSpec> = {
    'apgd-ce': { name: 'apgd-ce', steps: 5 },
    'apgd-t': { name: 'apgd-t', steps: 5, targetClasses: 3 },
    'fab-t': { name: 'fab-t', steps: 5, targetClasses: 3 },
    square: { name: 'square', queries: 30 },
  };
  const attacks = [
    { name: 'cw-l2', steps: 20, c: 5 } as SuiteAttackSpec,
    ...ATTACK_SUITES.standard.map((n) => small[n]!),
  ];
  const report = await runSuite(net.model, x, y, {
    threat: { norm: 'linf', epsilon },
    attacks,
    seed: 2,
    cascade: true,
  });
  const [cw, apgdCe, ...rest] = report.attacks;
  assert.equal(cw!.settings.bound, 'none');
  assert.ok(cw!.robustAccuracy < report.cleanAccuracy, 'cw-l2 fools some');
  assert.equal(apgdCe!.attacked, cw!.attacked, 'the first bounded attack still sees every clean-correct example');
  for (let k = 0; k < rest.length; k++) {
    const previous = k === 0 ? apgdCe! : rest[k - 1]!;
    assert.equal(rest[k]!.attacked, previous.robust.filter(Boolean).length, `${rest[k]!.name} attacks the survivors`);
  }
  assert.deepEqual(report.robust, report.attacks.at(-1)!.robust, 'the worst case is the bounded cascade’s');
  assert.ok(report.robustAccuracy >= 0 && report.robustAccuracy <= apgdCe!.robustAccuracy);
  tf.dispose([x, y]);
  net.dispose();
});

test('the standard suite’s defaults are AutoAttack’s: 100 iterations, 9 target classes, 5,000 queries', () => {
  const settings = ATTACK_SUITES.standard.map((name) => resolveAttackSettings({ name }, 8 / 255));
  assert.deepEqual(
    settings.map((s) => [s.name, s.steps ?? s.queries, s.targetClasses ?? null, s.restarts]),
    [
      ['apgd-ce', 100, null, 1],
      ['apgd-t', 100, 9, 1],
      ['fab-t', 100, 9, 1],
      ['square', 5000, null, 1],
    ],
  );
  const cw = resolveAttackSettings({ name: 'cw-l2' }, 8 / 255);
  assert.deepEqual([cw.steps, cw.c, cw.kappa, cw.stepSize, cw.bound], [100, 0.5, 0, 0.01, 'none']);
  assert.equal(resolveAttackSettings({ name: 'cw' }, 8 / 255).bound, 'linf');
  assert.throws(() => resolveAttackSettings({ name: 'apgd-t', targetClasses: 0 }, 0.1), /targetClasses/);
});
