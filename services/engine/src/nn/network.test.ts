import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Genotype } from '@lrnas/schema';
import { auxiliaryHeadParamCount, auxiliaryInputChannels, countFlops, countParameters } from './cost.js';
import { Conv2d, DepthwiseConv2d, Linear } from './layers.js';
import { EvalNetwork } from './network.js';
import { assertClose, publishedGenotypes, seededRandom, useBackend } from './test-util.js';

await useBackend('cpu');
const GENOTYPES = publishedGenotypes();

/** A genotype with every slot `none`: the smallest cell. */
const ALL_NONE: Genotype = {
  normal: [0, 1, 0, 1, 0, 1, 0, 1].map((i) => ['none', i]) as Genotype['normal'],
  normalConcat: [2, 3, 4, 5],
  reduce: [0, 1, 0, 1, 0, 1, 0, 1].map((i) => ['none', i]) as Genotype['reduce'],
  reduceConcat: [2, 3, 4, 5],
};

test('logits have shape [N, classes] for MNIST, CIFAR and odd sizes; eval output is deterministic', () => {
  const cases = [
    { size: 28, inputChannels: 1, channels: 8, layers: 5, classes: 10 },
    { size: 32, inputChannels: 3, channels: 4, layers: 3, classes: 100 },
    { size: 30, inputChannels: 3, channels: 4, layers: 4, classes: 7 },
    { size: 9, inputChannels: 2, channels: 2, layers: 2, classes: 3 },
  ];
  for (const [name, genotype] of Object.entries(GENOTYPES)) {
    for (const { size, ...shape } of cases) {
      const net = new EvalNetwork(genotype, { ...shape, seed: 1 });
      const x = tf.randomUniform([2, size, size, shape.inputChannels], 0, 1, 'float32', 4) as tf.Tensor4D;
      const a = net.forward(x, { training: false });
      const b = net.forward(x, { training: false });
      assert.deepEqual(a.logits.shape, [2, shape.classes], `${name} at ${size}`);
      assert.equal(a.auxLogits, undefined);
      assert.deepEqual(Array.from(a.logits.dataSync()), Array.from(b.logits.dataSync()));
      assert.ok(Array.from(a.logits.dataSync()).every(Number.isFinite));
      tf.dispose([x, a.logits, b.logits]);
      net.dispose();
    }
  }
});

test('the auxiliary head returns logits in training only, at 32x32 (DARTS 8x8 head input) and 28x28', () => {
  for (const [size, inputChannels] of [
    [32, 3],
    [28, 1],
    [12, 1],
  ] as const) {
    const net = new EvalNetwork(GENOTYPES.DARTS_V2, {
      channels: 4,
      layers: 5,
      classes: 10,
      inputChannels,
      auxiliary: true,
    });
    const x = tf.randomUniform([2, size, size, inputChannels], 0, 1, 'float32', 4) as tf.Tensor4D;
    const train = net.forward(x, { training: true });
    assert.deepEqual(train.auxLogits?.shape, [2, 10], `aux at ${size}`);
    const infer = net.forward(x, { training: false });
    assert.equal(infer.auxLogits, undefined);
    tf.dispose([x, train.logits, train.auxLogits, infer.logits]);
    net.dispose();
  }
});

test('forward leaks no tensors, with or without drop-path and auxiliary head', () => {
  const net = new EvalNetwork(GENOTYPES.LRNAS_C10, {
    channels: 4,
    layers: 5,
    classes: 10,
    inputChannels: 3,
    auxiliary: true,
  });
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  for (const ctx of [
    { training: false },
    { training: true },
    { training: true, dropPathProb: 0.3, random: seededRandom(2) },
  ]) {
    const out = net.forward(x, ctx);
    tf.dispose([out.logits, out.auxLogits]);
    assert.equal(tf.memory().numTensors, before, JSON.stringify(ctx));
  }
  x.dispose();
  net.dispose();
});

test('drop-path changes training outputs; with the same random sequence it is reproducible', () => {
  const net = new EvalNetwork(GENOTYPES.DARTS_V2, { channels: 4, layers: 3, classes: 10, inputChannels: 3 });
  const x = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const snapshot = net.namedBuffers().map(([name, v]) => [name, tf.clone(v)] as const);
  const restore = () => net.loadState(new Map([...net.namedParameters(), ...snapshot]));
  const run = (ctx: Parameters<EvalNetwork['forward']>[1]) => {
    restore();
    const { logits } = net.forward(x, ctx);
    const values = Array.from(logits.dataSync());
    logits.dispose();
    return values;
  };
  const plain = run({ training: true });
  const dropA = run({ training: true, dropPathProb: 0.5, random: seededRandom(3) });
  const dropB = run({ training: true, dropPathProb: 0.5, random: seededRandom(3) });
  assert.deepEqual(dropA, dropB);
  assert.notDeepEqual(dropA, plain);
  // Inference ignores drop-path.
  assert.deepEqual(run({ training: false, dropPathProb: 0.5 }), run({ training: false }));
  tf.dispose([x, ...snapshot.map(([, v]) => v)]);
  net.dispose();
});

test('training updates BN running statistics; inference does not', () => {
  const net = new EvalNetwork(GENOTYPES.DARTS_V2, { channels: 4, layers: 3, classes: 10, inputChannels: 3 });
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const read = () => net.buffers().map((v) => Array.from(v.dataSync()));
  const initial = read();
  tf.dispose(net.forward(x, { training: false }).logits);
  assert.deepEqual(read(), initial);
  tf.dispose(net.forward(x, { training: true }).logits);
  const after = read();
  assert.ok(after.every((v, i) => !tf.util.arraysEqual(v, initial[i] ?? [])));
  x.dispose();
  net.dispose();
});

test('the analytic parameter count equals the built network for every genotype and several sizes', () => {
  const shapes = [
    { channels: 4, layers: 5, classes: 10, inputChannels: 1 },
    { channels: 6, layers: 8, classes: 100, inputChannels: 3 },
    { channels: 3, layers: 1, classes: 2, inputChannels: 3 },
    { channels: 2, layers: 2, classes: 10, inputChannels: 3 },
    { channels: 5, layers: 7, classes: 10, inputChannels: 4 },
  ];
  for (const [name, genotype] of Object.entries({ ...GENOTYPES, ALL_NONE })) {
    for (const shape of shapes) {
      for (const auxiliary of [false, true]) {
        const net = new EvalNetwork(genotype, { ...shape, auxiliary });
        const built = net.parameters().reduce((n, v) => n + v.size, 0);
        const aux = auxiliary ? auxiliaryHeadParamCount(auxiliaryInputChannels(shape), shape.classes) : 0;
        assert.equal(
          built,
          countParameters(genotype, shape) + aux,
          `${name} ${JSON.stringify(shape)} aux ${auxiliary}`,
        );
        net.dispose();
      }
    }
  }
});

test('the analytic FLOP count equals the multiply-accumulates of the convs and linear layers that run', () => {
  // Count what actually executes: wrap the forward of every conv and linear layer.
  let macs = 0;
  const restore: Array<() => void> = [];
  const wrap = <T extends object>(proto: T, key: keyof T, count: (self: never, out: tf.Tensor) => number) => {
    const original = proto[key] as unknown as (...args: unknown[]) => tf.Tensor;
    (proto as Record<string, unknown>)[key as string] = function (this: never, ...args: unknown[]) {
      const out = original.apply(this, args);
      macs += count(this, out);
      return out;
    };
    restore.push(() => ((proto as Record<string, unknown>)[key as string] = original));
  };
  const pixels = (out: tf.Tensor) => (out.shape[1] as number) * (out.shape[2] as number);
  wrap(Conv2d.prototype, 'forward', (c: Conv2d, out) => c.kernelSize ** 2 * c.inChannels * c.outChannels * pixels(out));
  wrap(DepthwiseConv2d.prototype, 'forward', (c: DepthwiseConv2d, out) => c.kernelSize ** 2 * c.channels * pixels(out));
  wrap(Linear.prototype, 'forward', (l: Linear) => l.inFeatures * l.outFeatures);
  try {
    for (const [name, genotype] of Object.entries(GENOTYPES)) {
      for (const [size, shape] of [
        [32, { channels: 4, layers: 5, classes: 10, inputChannels: 3 }],
        [28, { channels: 3, layers: 4, classes: 10, inputChannels: 1 }],
        [15, { channels: 2, layers: 6, classes: 5, inputChannels: 3 }],
      ] as const) {
        const net = new EvalNetwork(genotype, shape);
        const x = tf.zeros([1, size, size, shape.inputChannels]) as tf.Tensor4D;
        macs = 0;
        tf.dispose([x, net.forward(x, { training: false }).logits]);
        assert.equal(countFlops(genotype, shape, size), macs, `${name} at ${size}`);
        net.dispose();
      }
    }
  } finally {
    for (const undo of restore) undo();
  }
});

/** Gradients of a cross-entropy (with the auxiliary head and drop-path) by parameter name. */
function parameterGradients(genotype: Genotype, backend: string): Map<string, Float32Array> {
  const net = new EvalNetwork(genotype, {
    channels: 4,
    layers: 3,
    classes: 10,
    inputChannels: 3,
    auxiliary: true,
    seed: 5,
  });
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const out = net.forward(x, { training: true, dropPathProb: 0.2, random: seededRandom(1) });
    const main = tf.losses.softmaxCrossEntropy(labels, out.logits);
    return tf.add(main, tf.mul(0.4, tf.losses.softmaxCrossEntropy(labels, out.auxLogits as tf.Tensor2D))) as tf.Scalar;
  });
  const named = new Map<string, Float32Array>();
  for (const [name, variable] of net.namedParameters()) {
    const g = grads[variable.name];
    assert.ok(g, `${backend}: no gradient for ${name}`);
    assert.deepEqual(g.shape, variable.shape, name);
    const data = g.dataSync() as Float32Array;
    assert.ok(data.every(Number.isFinite), `${backend}: ${name} has a non-finite gradient`);
    named.set(name, data);
  }
  assert.equal(Object.keys(grads).length, net.parameters().length);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, `${backend}: the gradient step leaks no tensors`);
  tf.dispose([x, labels]);
  net.dispose();
  return named;
}

test('gradients reach every parameter, leak nothing, and agree between the cpu and wasm backends', async () => {
  const byBackend: Record<string, Map<string, Float32Array>> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    byBackend[backend] = parameterGradients(GENOTYPES.DARTS_V2, backend);
  }
  await useBackend('cpu');
  for (const [name, cpu] of byBackend.cpu ?? []) {
    const wasm = byBackend.wasm?.get(name) ?? new Float32Array();
    const scale = cpu.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
    assertClose(
      Array.from(wasm, (v) => v / scale),
      Array.from(cpu, (v) => v / scale),
      1e-3,
      name,
    );
  }
});

test('a wrongly shaped input is rejected with the expected shape', () => {
  const net = new EvalNetwork(GENOTYPES.DARTS_V2, { channels: 2, layers: 3, classes: 10, inputChannels: 3 });
  const x = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
  assert.throws(() => net.forward(x, { training: false }), /expects NHWC input \[N, H, W, 3\], got \[1, 8, 8, 1\]/);
  x.dispose();
  net.dispose();
});
