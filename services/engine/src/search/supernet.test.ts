import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from '../attacks/fgsm.js';
import { Rng } from '../random.js';
import { useBackend } from '../nn/test-util.js';
import { crossEntropy } from '../nn/losses.js';
import { estimateContributions } from './contribution.js';
import { mixingWeights } from './mixing.js';
import { emptyScoringStats, SupernetScorer } from './scorer.js';
import { filledMatrix, playerIndex, PLAYER_COUNT, type EdgeMatrices } from './space.js';
import { channelShuffle, MixedOp, Supernet } from './supernet.js';

before(async () => {
  await useBackend('wasm');
});

function randomAlphas(seed: number): EdgeMatrices {
  const rng = new Rng(seed);
  const m = (): number[][] => filledMatrix(0).map((row) => row.map(() => rng.nextFloat() * 2 - 1));
  return { normal: m(), reduce: m() };
}

function images(n: number, size: number, channels: number, seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(rng.fillUniform(new Float32Array(n * size * size * channels), 0, 1), [n, size, size, channels]);
}

/** Two classes a small network learns in a few steps: bright (0) and dark (1) noisy images. */
function brightAndDark(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return tf.tidy(() => {
    const level = tf.concat([tf.fill([n / 2, 8, 8, 1], 0.7), tf.fill([n / 2, 8, 8, 1], 0.3)]);
    const x = tf.add(level, tf.mul(images(n, 8, 1, seed), 0.3)) as tf.Tensor4D;
    const y = tf.tensor1d(
      Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : 1)),
      'int32',
    );
    return { x, y };
  });
}

/** Trains on random labels, then settles the BN running statistics so that inference predicts like training. */
function memorise(net: Supernet, x: tf.Tensor4D, y: tf.Tensor1D, alphas: EdgeMatrices): void {
  const weights = mixingWeights(alphas);
  const params = net.parameters();
  for (let step = 0; step < 30; step++) {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(net.forward(x, weights, { training: true }), y) as tf.Scalar,
      params,
    );
    tf.tidy(() => params.forEach((p) => p.assign(tf.sub(p, tf.mul(grads[p.name]!, 0.05)))));
    tf.dispose([value, ...Object.values(grads)]);
  }
  for (let i = 0; i < 40; i++) net.forward(x, weights, { training: true }).dispose();
}

test('channelShuffle moves channel g * (C/k) + j to j * k + g, as PC-DARTS on NCHW', () => {
  const c = 8;
  const k = 4;
  const x = tf.tensor4d(
    Array.from({ length: 2 * c }, (_, i) => i),
    [1, 1, 2, c],
  );
  const out = channelShuffle(x, k).arraySync()[0]![0]!;
  for (let g = 0; g < k; g++) {
    for (let j = 0; j < c / k; j++) {
      assert.equal(out[0]![j * k + g], g * (c / k) + j);
      assert.equal(out[1]![j * k + g], c + g * (c / k) + j);
    }
  }
  x.dispose();
});

test('removing every player of an edge zeroes its mixed output; other edges keep theirs', () => {
  const op = new MixedOp(8, 1, 4).initialize(3);
  const part = images(2, 6, 2, 1);
  const removed = new Float32Array(8);
  const computed = op.terms(part, removed, { training: false }, { skipInactive: false });
  assert.equal(computed.length, 7, 'every operation but none ran');
  for (const term of computed) assert.equal(tf.max(tf.abs(term)).dataSync()[0], 0);
  assert.deepEqual(op.terms(part, removed, { training: false }), [], 'skipped when inactive');
  const kept = new Float32Array([0.1, 0.2, 0.1, 0.1, 0.2, 0.1, 0.1, 0.1]);
  const live = op.terms(part, kept, { training: false });
  assert.equal(live.length, 7);
  assert.ok(live.some((term) => tf.max(tf.abs(term)).dataSync()[0]! > 0));
  tf.dispose([part, ...computed, ...live]);
  op.dispose();
});

test('a masked edge of a cell adds exactly nothing: the supernet equals one whose edge weights are zero', () => {
  const net = new Supernet({ channels: 8, layers: 3, classes: 5, inputChannels: 1, seed: 7 });
  const alphas = randomAlphas(2);
  const x = images(3, 8, 1, 5);
  const mask = new Uint8Array(PLAYER_COUNT).fill(1);
  for (let o = 0; o < 8; o++) mask[playerIndex('normal', 4, o)] = 0;
  const masked = net.forward(x, mixingWeights(alphas, [mask]), { training: false });
  const manual = mixingWeights(alphas);
  manual.normal.fill(0, 4 * 8, 5 * 8);
  const zeroed = net.forward(x, manual, { training: false }, { skipInactive: false });
  assert.deepEqual(masked.dataSync(), zeroed.dataSync());
  const full = net.forward(x, mixingWeights(alphas), { training: false });
  assert.notDeepEqual(full.dataSync(), masked.dataSync(), 'the edge mattered');
  tf.dispose([x, masked, zeroed, full]);
  net.dispose();
});

test('groups of a batch are mixed with their own weights: one pass of two masks equals two passes', () => {
  const net = new Supernet({ channels: 8, layers: 3, classes: 4, inputChannels: 3, seed: 1 });
  const alphas = randomAlphas(9);
  const x = images(2, 8, 3, 4);
  const a = new Uint8Array(PLAYER_COUNT).fill(1);
  const b = new Uint8Array(PLAYER_COUNT).fill(1);
  for (let p = 0; p < PLAYER_COUNT; p += 3) b[p] = 0;
  const both = net.forward(tf.concat([x, x]), mixingWeights(alphas, [a, b]), { training: false });
  const one = net.forward(x, mixingWeights(alphas, [a]), { training: false });
  const two = net.forward(x, mixingWeights(alphas, [b]), { training: false });
  const joined = both.arraySync();
  assert.deepEqual(joined.slice(0, 2), one.arraySync());
  assert.deepEqual(joined.slice(2), two.arraySync());
  tf.dispose([x, both, one, two]);
  net.dispose();
});

test('supernet training: gradients reach every weight, the loss falls, no tensors leak', () => {
  const net = new Supernet({ channels: 4, layers: 3, classes: 2, inputChannels: 1, seed: 3 });
  const weights = mixingWeights({ normal: filledMatrix(0), reduce: filledMatrix(0) });
  const { x, y } = brightAndDark(8, 2);
  const params = net.parameters();
  const losses: number[] = [];
  const before = tf.memory().numTensors;
  for (let step = 0; step < 8; step++) {
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(net.forward(x, weights, { training: true }), y) as tf.Scalar,
      params,
    );
    if (step === 0) assert.equal(Object.keys(grads).length, params.length);
    losses.push(value.dataSync()[0]!);
    tf.tidy(() => params.forEach((p) => p.assign(tf.sub(p, tf.mul(grads[p.name]!, 0.1)))));
    tf.dispose([value, ...Object.values(grads)]);
  }
  assert.equal(tf.memory().numTensors, before);
  assert.ok(losses[7]! < losses[0]!, `loss ${losses[0]} -> ${losses[7]}`);
  tf.dispose([x, y]);
  net.dispose();
});

for (const [mode, k] of [
  ['reference', 2],
  ['shapley', 1],
] as const) {
  test(`optimised contribution estimation equals the naive one (${mode}, k=${k}, same seed) with less work`, async () => {
    const net = new Supernet({ channels: 8, layers: 3, classes: 3, inputChannels: 1, seed: 11, partialChannels: k });
    const alphas = randomAlphas(5);
    const x = images(12, 8, 1, 3);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], 'int32');
    memorise(net, x, y, alphas);
    const full = mixingWeights(alphas);
    const adversarial = await fgsm((input) => net.forward(input, full, { training: false }), x, y, { epsilon: 0.1 });
    const run = async (naive: boolean) => {
      const stats = emptyScoringStats();
      const estimate = await estimateContributions(
        async () => new SupernetScorer(net, alphas, { x, adversarial, y }, { naive, stats, maxGroups: 3 }),
        { mode, permutations: 1, rng: new Rng(4), chunk: 6 },
      );
      return { estimate, stats };
    };
    const before = tf.memory().numTensors;
    const naive = await run(true);
    const fast = await run(false);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    assert.deepEqual(fast.estimate.values, naive.estimate.values);
    assert.deepEqual(fast.estimate.clean, naive.estimate.clean);
    assert.deepEqual(fast.estimate.adversarial, naive.estimate.adversarial);
    assert.ok(
      naive.estimate.values.some((v) => v !== 0),
      'players differ',
    );
    assert.ok(
      fast.stats.operations < naive.stats.operations / 1.5,
      `operations ${fast.stats.operations} vs ${naive.stats.operations}`,
    );
    assert.ok(fast.stats.cellEvaluations < naive.stats.cellEvaluations);
    tf.dispose([x, y, adversarial]);
    net.dispose();
  });
}
