import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EvalNetwork } from '../nn/network.js';
import { useBackend } from '../nn/test-util.js';
import { crossEntropy, klDivergence, klDivergencePerExample } from '../nn/losses.js';
import {
  craftAdversarial,
  gaussianNoise,
  objectiveLoss,
  type ObjectiveSettings,
  type TrainMethod,
} from './objectives.js';
import { bandDataset, TINY_GENOTYPE } from './test-data.js';

const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('cross-entropy and KL divergence match hand-computed values', async () => {
  await useBackend('cpu');
  const logits = tf.tensor2d([
    [1, 2, 3],
    [0, 0, 0],
  ]);
  const y = tf.tensor1d([2, 0], 'int32');
  // log(e + e^2 + e^3) - 3 and log 3
  const expected = (Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3 + Math.log(3)) / 2;
  close(crossEntropy(logits, y).dataSync()[0]!, expected);
  // KL(p || q) with p = softmax(1,2,3), q uniform: sum p log p + log 3
  const p = [1, 2, 3].map((v) => Math.exp(v) / (Math.E + Math.E ** 2 + Math.E ** 3));
  const kl = p.reduce((s, pk) => s + pk * Math.log(pk), 0) + Math.log(3);
  const perExample = klDivergencePerExample(
    logits,
    tf.tensor2d([
      [0, 0, 0],
      [5, 5, 5],
    ]),
  );
  close(perExample.dataSync()[0]!, kl);
  close(perExample.dataSync()[1]!, 0);
  close(klDivergence(logits, tf.zeros([2, 3])).dataSync()[0]!, kl / 2);
});

test('seeded Gaussian noise has the asked spread and repeats by seed', () => {
  const a = gaussianNoise(20001, 0.5, 3);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(sd - 0.5) < 0.02, `mean ${mean}, sd ${sd}`);
  assert.deepEqual(gaussianNoise(5, 1, 3), gaussianNoise(5, 1, 3));
  assert.notDeepEqual(gaussianNoise(5, 1, 3), gaussianNoise(5, 1, 4));
});

const settings = (method: TrainMethod): ObjectiveSettings => ({
  method,
  epsilon: 0.1,
  attackSteps: 3,
  attackStepSize: 0.05,
  tradesBeta: 6,
  auxiliaryWeight: 0,
});

for (const backend of ['cpu', 'wasm'] as const) {
  test(`training adversaries stay in the epsilon-ball and [0, 1] and leave BN statistics alone (${backend})`, async () => {
    await useBackend(backend);
    const net = new EvalNetwork(TINY_GENOTYPE, { channels: 4, layers: 3, classes: 3, inputChannels: 1, seed: 2 });
    const { x, y } = bandDataset(6).toTensors();
    // Non-trivial running statistics first.
    tf.tidy(() => void net.forward(x, { training: true }));
    const stats = net.namedBuffers().map(([, v]) => Array.from(v.dataSync()));
    assert.equal(await craftAdversarial(net, x, y, settings('standard'), 1), undefined);
    for (const method of ['madry', 'trades', 'fgsm-rs'] as const) {
      const before = tf.memory().numTensors;
      const adv = (await craftAdversarial(net, x, y, settings(method), 1))!;
      assert.equal(tf.memory().numTensors, before + 1, `${method} leaves only its result`);
      const [dist, lo, hi] = tf.tidy(() =>
        [tf.max(tf.abs(tf.sub(adv, x))), tf.min(adv), tf.max(adv)].map((t) => t.dataSync()[0]!),
      );
      assert.ok(dist! <= 0.1 + 1e-6 && dist! > 0.01, `${method}: distance ${dist}`);
      assert.ok(lo! >= 0 && hi! <= 1, `${method}: range [${lo}, ${hi}]`);
      const again = (await craftAdversarial(net, x, y, settings(method), 1))!;
      assert.deepEqual(Array.from(again.dataSync()), Array.from(adv.dataSync()), `${method} repeats by seed`);
      tf.dispose([adv, again]);
    }
    assert.deepEqual(
      net.namedBuffers().map(([, v]) => Array.from(v.dataSync())),
      stats,
      'crafting runs BN in inference mode',
    );
    tf.dispose([x, y]);
    net.dispose();
  });
}

test('objective losses: CE on the trained-on batch; TRADES adds beta KL(p(x) || p(x_adv))', async () => {
  await useBackend('cpu');
  const net = new EvalNetwork(TINY_GENOTYPE, { channels: 4, layers: 3, classes: 3, inputChannels: 1, seed: 2 });
  const { x, y } = bandDataset(6).toTensors();
  const ctx = { training: false };
  const adv = tf.tidy(() => tf.clipByValue(tf.add(x, 0.05), 0, 1) as tf.Tensor4D);
  const logits = (input: tf.Tensor4D): tf.Tensor2D => net.forward(input, ctx).logits;
  const value = (t: tf.Tensor): number => t.dataSync()[0]!;
  const standard = objectiveLoss(net, x, y, undefined, settings('standard'), ctx);
  close(value(standard.loss), value(crossEntropy(logits(x), y)));
  const madry = objectiveLoss(net, x, y, adv, settings('madry'), ctx);
  close(value(madry.loss), value(crossEntropy(logits(adv), y)));
  assert.deepEqual(Array.from(madry.logits.dataSync()), Array.from(logits(adv).dataSync()));
  const trades = objectiveLoss(net, x, y, adv, settings('trades'), ctx);
  close(value(trades.loss), value(crossEntropy(logits(x), y)) + 6 * value(klDivergence(logits(x), logits(adv))));
  assert.deepEqual(
    Array.from(trades.logits.dataSync()),
    Array.from(logits(x).dataSync()),
    'TRADES reports clean logits',
  );
  assert.throws(() => objectiveLoss(net, x, y, undefined, settings('madry'), ctx), /needs adversarial inputs/);
  net.dispose();
});

test('the auxiliary head adds its weighted cross-entropy in training', async () => {
  await useBackend('cpu');
  const net = new EvalNetwork(TINY_GENOTYPE, {
    channels: 4,
    layers: 3,
    classes: 3,
    inputChannels: 1,
    seed: 2,
    auxiliary: true,
  });
  const { x, y } = bandDataset(6).toTensors();
  const ctx = { training: true };
  const snapshot = net.namedBuffers().map(([, v]) => tf.clone(v));
  const withAux = objectiveLoss(net, x, y, undefined, { ...settings('standard'), auxiliaryWeight: 0.4 }, ctx);
  // Same batch statistics for the reference pass: restore the running statistics the first pass moved.
  net.namedBuffers().forEach(([, v], i) => v.assign(snapshot[i]!));
  const out = net.forward(x, ctx);
  const expected = crossEntropy(out.logits, y).dataSync()[0]! + 0.4 * crossEntropy(out.auxLogits!, y).dataSync()[0]!;
  close(withAux.loss.dataSync()[0]!, expected);
  net.dispose();
});
