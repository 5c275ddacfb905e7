import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { EvalNetwork } from './network.js';
import { FactorizedReduce, SepConv } from './ops.js';
import { publishedGenotypes, useBackend } from './test-util.js';

await useBackend('cpu');
const { DARTS_V2 } = publishedGenotypes();
const SMALL = { channels: 4, layers: 8, classes: 10, inputChannels: 3 };

test('variables have stable hierarchical names, parameters and buffers apart', () => {
  const op = new SepConv(4, 4, 3, 1, 1).initialize(0);
  assert.deepEqual(
    op.namedParameters().map(([name]) => name),
    [
      'op.1.weight',
      'op.2.weight',
      'op.3.weight',
      'op.3.bias',
      'op.5.weight',
      'op.6.weight',
      'op.7.weight',
      'op.7.bias',
    ],
  );
  assert.deepEqual(
    op.namedBuffers().map(([name]) => name),
    ['op.3.running_mean', 'op.3.running_var', 'op.7.running_mean', 'op.7.running_var'],
  );
  assert.ok(op.parameters().every((v) => v.trainable));
  assert.ok(op.buffers().every((v) => !v.trainable));
  const fr = new FactorizedReduce(6, 4).initialize(0);
  assert.deepEqual(
    fr.namedParameters().map(([name]) => name),
    ['conv_1.weight', 'conv_2.weight', 'bn.weight', 'bn.bias'],
  );
  op.dispose();
  fr.dispose();
});

test('network names follow DARTS, e.g. cells.3.ops.1.op.2.weight is the first pointwise conv of a sep_conv', () => {
  const net = new EvalNetwork(DARTS_V2, SMALL);
  const names = new Map(net.namedVariables().map(([name, v]) => [name, v.shape]));
  // L = 8: reductions at cells 2 and 5, so cell 3 is normal with C = 8 (slot 1 is (sep_conv_3x3, 1)) and
  // reduces its input 0 (cell 1's output, 4 x 4 channels) with FactorizedReduce.
  assert.deepEqual(names.get('cells.3.ops.1.op.2.weight'), [1, 1, 8, 8]);
  assert.deepEqual(names.get('cells.3.ops.1.op.1.weight'), [3, 3, 8, 1]);
  assert.deepEqual(names.get('stem.0.weight'), [3, 3, 3, 12]);
  assert.deepEqual(names.get('stem.1.running_var'), [12]);
  assert.deepEqual(names.get('cells.3.preprocess0.conv_1.weight'), [1, 1, 16, 4]);
  assert.deepEqual(names.get('classifier.weight'), [64, 10]);
  assert.deepEqual(names.get('classifier.bias'), [10]);
  assert.equal(new Set(net.namedVariables().map(([name]) => name)).size, net.namedVariables().length);
  net.dispose();
});

test('the same seed gives the same weights, another seed other weights', () => {
  const a = new EvalNetwork(DARTS_V2, { ...SMALL, seed: 7 });
  const b = new EvalNetwork(DARTS_V2, { ...SMALL, seed: 7 });
  const c = new EvalNetwork(DARTS_V2, { ...SMALL, seed: 8 });
  const values = (net: EvalNetwork) => net.namedVariables().map(([name, v]) => [name, Array.from(v.dataSync())]);
  assert.deepEqual(values(a), values(b));
  const weights = (net: EvalNetwork) =>
    net
      .parameters()
      .filter((v) => v.rank > 1)
      .map((v) => Array.from(v.dataSync()));
  const [wa, wc] = [weights(a), weights(c)];
  assert.ok(wa.every((w, i) => !tf.util.arraysEqual(w, wc[i] ?? [])));
  // Re-initialising with the first seed reproduces the weights.
  c.initialize(7);
  assert.deepEqual(values(c), values(a));
  for (const net of [a, b, c]) net.dispose();
});

test('conv weights start as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)); BN at 1 and 0', () => {
  const net = new EvalNetwork(DARTS_V2, SMALL);
  const vars = new Map(net.namedVariables());
  const stem = Array.from((vars.get('stem.0.weight') as tf.Variable).dataSync());
  const bound = 1 / Math.sqrt(3 * 3 * 3);
  assert.ok(stem.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...stem.map(Math.abs)) > bound * 0.8);
  assert.ok(Array.from((vars.get('stem.1.weight') as tf.Variable).dataSync()).every((v) => v === 1));
  assert.ok(Array.from((vars.get('stem.1.bias') as tf.Variable).dataSync()).every((v) => v === 0));
  net.dispose();
});

test('parameterCount() from the declared shapes equals the sizes of the created variables', () => {
  const net = new EvalNetwork(DARTS_V2, SMALL);
  assert.equal(
    net.parameterCount(),
    net.parameters().reduce((n, v) => n + v.size, 0),
  );
  net.dispose();
});

test('initialize again and dispose free every tensor', () => {
  const before = tf.memory().numTensors;
  const net = new EvalNetwork(DARTS_V2, SMALL);
  const created = tf.memory().numTensors - before;
  assert.equal(created, net.namedVariables().length);
  net.initialize(3);
  assert.equal(tf.memory().numTensors - before, created);
  net.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.equal(net.initialized, false);
  assert.throws(() => net.parameters(), /not initialised: call initialize\(seed\)/);
});

test('loadState copies a network exactly and rejects missing, unknown and misshapen entries', () => {
  const a = new EvalNetwork(DARTS_V2, { ...SMALL, seed: 1 });
  const b = new EvalNetwork(DARTS_V2, { ...SMALL, seed: 2 });
  b.loadState(new Map(a.namedVariables()));
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const ya = a.forward(x, { training: false }).logits;
  const yb = b.forward(x, { training: false }).logits;
  assert.deepEqual(Array.from(yb.dataSync()), Array.from(ya.dataSync()));
  const state = Object.fromEntries(a.namedVariables());
  const { ['classifier.bias']: _dropped, ...missing } = state;
  assert.throws(() => b.loadState(missing), /missing variable classifier.bias/);
  assert.throws(
    () => b.loadState({ ...state, 'cells.99.weight': tf.zeros([1]) }),
    /unknown variables: cells.99.weight/,
  );
  assert.throws(
    () => b.loadState({ ...state, 'classifier.bias': tf.zeros([3]) }),
    /classifier.bias has shape \[10\], got \[3\]/,
  );
  tf.dispose([x, ya, yb]);
  a.dispose();
  b.dispose();
});
