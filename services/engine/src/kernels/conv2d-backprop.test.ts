import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  JS_BACKENDS,
  assertClose,
  assertSameResult,
  checkGradients,
  spreadValues,
  useBackend,
  type GradResult,
} from './grad-check.js';

type Pad = number | 'same' | 'valid';
const configs: Array<{
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: 1 | 2;
  pad: Pad;
}> = [
  { x: [2, 5, 5, 3], f: [1, 1, 3, 4], strides: 1, pad: 0 },
  { x: [1, 5, 6, 3], f: [1, 1, 3, 2], strides: 2, pad: 0 },
  { x: [1, 6, 6, 2], f: [1, 1, 2, 2], strides: 2, pad: 'same' },
  { x: [1, 5, 5, 2], f: [3, 3, 2, 3], strides: 1, pad: 1 },
  { x: [2, 6, 5, 2], f: [3, 3, 2, 2], strides: 2, pad: 1 },
  { x: [1, 6, 6, 3], f: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { x: [1, 7, 6, 2], f: [5, 5, 2, 2], strides: 2, pad: 'valid' },
];

for (const cfg of configs) {
  const label = `x ${cfg.x} filter ${cfg.f} stride ${cfg.strides} pad ${cfg.pad}`;

  test(`conv2d gradients vs finite differences and cpu: ${label}`, async (t) => {
    const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, cfg.strides, cfg.pad);
    const results: Record<string, GradResult> = {};
    for (const backend of JS_BACKENDS) {
      await t.test(backend, async () => {
        await useBackend(backend);
        results[backend] = checkGradients(f, [{ shape: cfg.x }, { shape: cfg.f }]);
      });
    }
    await t.test('wasm agrees with cpu', () => {
      assert.ok(results.cpu && results.wasm);
      assertSameResult(results.wasm, results.cpu);
    });
  });

  test(`wasm Conv2DBackpropInput/Filter kernels match cpu's: ${label}`, async () => {
    const results: Record<string, Array<{ values: Float32Array; shape: number[] }>> = {};
    for (const backend of JS_BACKENDS) {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(spreadValues(tf.util.sizeFromShape(cfg.x), 1), cfg.x);
      const filter = tf.tensor4d(spreadValues(tf.util.sizeFromShape(cfg.f), 2), cfg.f);
      const y = tf.conv2d(x, filter, cfg.strides, cfg.pad);
      const dy = tf.tensor4d(spreadValues(y.size, 3), y.shape);
      const attrs = { strides: cfg.strides, pad: cfg.pad, dataFormat: 'NHWC' };
      const outs = [
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: cfg.x }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: cfg.f }) as tf.Tensor,
      ];
      results[backend] = outs.map((o) => ({ values: o.dataSync() as Float32Array, shape: o.shape }));
      tf.dispose([x, filter, y, dy, ...outs]);
      assert.equal(tf.memory().numTensors, before, `${backend} leaks no tensors`);
    }
    const [cpu, wasm] = [results.cpu ?? [], results.wasm ?? []];
    assert.equal(wasm.length, 2);
    wasm.forEach((r, i) => {
      assert.deepEqual(r.shape, cpu[i]?.shape);
      assertClose(r.values, cpu[i]?.values ?? [], 1e-4, 1e-4, i === 0 ? 'input gradient' : 'filter gradient');
    });
  });
}
