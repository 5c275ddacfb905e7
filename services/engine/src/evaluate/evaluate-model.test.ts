import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { EvalNetwork } from '../nn/network.js';
import { useBackend } from '../nn/test-util.js';
import { ENGINE_VERSION } from '../version.js';
import { evaluateModel, parseAttackSelection } from './evaluate-model.js';
import { bandDataset, TINY_GENOTYPE } from '../train/test-data.js';

test('the attack list of the CLI parses names and step counts', () => {
  assert.deepEqual(parseAttackSelection('fgsm,pgd:20,cw:100,cw-l2,apgd-ce,apgd-dlr,apgd-t,fab-t:50,square:1000'), {
    attacks: [
      { name: 'fgsm' },
      { name: 'pgd', steps: 20 },
      { name: 'cw', steps: 100 },
      { name: 'cw-l2' },
      { name: 'apgd-ce' },
      { name: 'apgd-dlr' },
      { name: 'apgd-t' },
      { name: 'fab-t', steps: 50 },
      { name: 'square', steps: 1000 },
    ],
    cascade: false,
  });
  for (const bad of ['', 'pgd,', 'pgd:0', 'pgd:x', 'deepfool', 'fgsm:3', 'standard:5']) {
    assert.throws(() => parseAttackSelection(bad), ContractError, bad);
  }
});

test('the standard suite stands for AutoAttack’s four attacks, run AutoAttack-style', () => {
  assert.deepEqual(parseAttackSelection('fgsm,standard'), {
    attacks: [{ name: 'fgsm' }, { name: 'apgd-ce' }, { name: 'apgd-t' }, { name: 'fab-t' }, { name: 'square' }],
    cascade: true,
  });
});

test('an evaluation report holds clean and per-attack accuracy with every setting used', async () => {
  await useBackend('wasm');
  const net = new EvalNetwork(TINY_GENOTYPE, { channels: 4, layers: 3, classes: 3, inputChannels: 1, seed: 4 });
  const data = bandDataset(12, { seed: 3, split: 'test' });
  const before = tf.memory().numTensors;
  const progress: number[] = [];
  const report = await evaluateModel({
    network: net,
    data,
    seed: 9,
    threatModel: { norm: 'linf', epsilon: 0.1 },
    attacks: [{ name: 'fgsm' }, { name: 'pgd', steps: 5, stepSize: 0.02, restarts: 2 }],
    examples: 10,
    batchSize: 4,
    onProgress: (done) => progress.push(done),
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report, 'JSON-serialisable');
  assert.equal(report.format, 'lrnas-evaluation');
  assert.equal(report.engineVersion, ENGINE_VERSION);
  assert.equal(report.backend.tfBackend, 'wasm');
  assert.deepEqual(report.data, { name: 'bands', split: 'test', examples: 10 });
  assert.deepEqual(report.threatModel, { norm: 'linf', epsilon: 0.1 });
  assert.equal(report.seed, 9);
  assert.equal(report.batchSize, 4);
  assert.equal(report.cascade, false);
  assert.equal(report.model.parameters, net.parameterCount());
  assert.deepEqual(
    report.attacks.map((a) => a.settings),
    [
      { name: 'fgsm', epsilon: 0.1, stepSize: 0.1, randomStart: false, loss: 'ce', bound: 'linf' },
      {
        name: 'pgd',
        epsilon: 0.1,
        steps: 5,
        stepSize: 0.02,
        restarts: 2,
        randomStart: true,
        loss: 'ce',
        bound: 'linf',
      },
    ],
  );
  // Clean accuracy measured independently.
  const { x, y } = data.toTensors(0, 10);
  const correct = tf.tidy(
    () =>
      tf
        .sum(tf.cast(tf.equal(tf.cast(tf.argMax(net.forward(x, { training: false }).logits, 1), 'int32'), y), 'int32'))
        .dataSync()[0]!,
  );
  assert.equal(report.cleanAccuracy, correct / 10);
  for (const a of report.attacks)
    assert.ok(a.robustAccuracy <= report.cleanAccuracy && report.robustAccuracy <= a.robustAccuracy);
  assert.equal(progress.at(-1), 30);
  tf.dispose([x, y]);
  await assert.rejects(
    evaluateModel({
      network: net,
      data: bandDataset(4, { classes: 4 }),
      seed: 0,
      threatModel: { norm: 'linf', epsilon: 0.1 },
      attacks: [{ name: 'fgsm' }],
    }),
    /4 classes, the network 3/,
  );
  net.dispose();
});
