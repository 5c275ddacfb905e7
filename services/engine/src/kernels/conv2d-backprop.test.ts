import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  assertClose,
  assertSameValues,
  checkGradients,
  checkOnEachBackend,
  onEachBackend,
  spreadValues,
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

/**
 * Larger filters for the wasm SIMD filter gradient (x^T dy; through im2col unless 1x1 and unpadded): channel
 * counts that exercise its 4x8, 4x4, 1x8, 1x4 and scalar tiles, and more pixels than one of its K chunks (256).
 */
const wide: typeof configs = [
  { x: [2, 12, 12, 9], f: [1, 1, 9, 13], strides: 1, pad: 0 },
  { x: [3, 10, 10, 16], f: [1, 1, 16, 8], strides: 2, pad: 0 },
  { x: [1, 17, 17, 5], f: [1, 1, 5, 4], strides: 1, pad: 'valid' },
  // im2col then the same product: the stem's 3x3 on 3 channels (M = 27), and a strided 'same' 3x3 on 8.
  { x: [2, 12, 11, 3], f: [3, 3, 3, 12], strides: 1, pad: 1 },
  { x: [2, 10, 9, 8], f: [3, 3, 8, 6], strides: 2, pad: 'same' },
  // 1x1 forward (gemmNN) on 4x4 tiles and scalar rows and columns, strided; K over one chunk (256).
  { x: [2, 7, 7, 6], f: [1, 1, 6, 5], strides: 2, pad: 'valid' },
  { x: [1, 5, 6, 300], f: [1, 1, 300, 12], strides: 1, pad: 0 },
];

for (const cfg of configs) {
  const label = `x ${cfg.x} filter ${cfg.f} stride ${cfg.strides} pad ${cfg.pad}`;
  test(`conv2d gradients vs finite differences and cpu: ${label}`, async (t) => {
    const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, cfg.strides, cfg.pad);
    await checkOnEachBackend(t, () => checkGradients(f, [{ shape: cfg.x }, { shape: cfg.f }]));
  });
}

// The kernels themselves against cpu's, on every shape (the wide ones too large for finite differences).
for (const cfg of [...configs, ...wide]) {
  const label = `x ${cfg.x} filter ${cfg.f} stride ${cfg.strides} pad ${cfg.pad}`;
  test(`wasm Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter kernels match cpu's: ${label}`, async () => {
    const results = await onEachBackend(() => {
      const x = tf.tensor4d(spreadValues(tf.util.sizeFromShape(cfg.x), 1), cfg.x);
      const filter = tf.tensor4d(spreadValues(tf.util.sizeFromShape(cfg.f), 2), cfg.f);
      const y = tf.conv2d(x, filter, cfg.strides, cfg.pad);
      const dy = tf.tensor4d(spreadValues(y.size, 3), y.shape);
      const attrs = { strides: cfg.strides, pad: cfg.pad, dataFormat: 'NHWC' };
      const outs = [
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: cfg.x }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: cfg.f }) as tf.Tensor,
        y,
      ];
      const values = outs.map((o) => ({ values: o.dataSync() as Float32Array, shape: o.shape }));
      tf.dispose([x, filter, dy, ...outs]);
      return values;
    });
    assertSameValues(results.wasm, results.cpu, ['input gradient', 'filter gradient', 'forward']);
  });
}

test("wasm FusedConv2D (1x1 with a bias: ours; with an activation: native) matches cpu's", async () => {
  const cases: Array<{ x: [number, number, number, number]; c: number; strides: 1 | 2; activation?: 'relu' }> = [
    { x: [2, 6, 5, 4], c: 4, strides: 1 },
    { x: [2, 7, 7, 6], c: 13, strides: 2 },
    // K over one chunk of 256: the bias starts the first chunk's sums only.
    { x: [1, 3, 4, 300], c: 9, strides: 1 },
    { x: [2, 5, 5, 8], c: 8, strides: 1, activation: 'relu' },
  ];
  for (const cfg of cases) {
    const results = await onEachBackend(() =>
      tf.tidy(() => {
        const [, , , inC] = cfg.x;
        const x = tf.tensor4d(spreadValues(tf.util.sizeFromShape(cfg.x), 21), cfg.x);
        const filter = tf.tensor4d(spreadValues(inC * cfg.c, 22), [1, 1, inC, cfg.c]);
        const bias = tf.tensor1d(spreadValues(cfg.c, 23).map((v) => 5 * v));
        const y = tf.fused.conv2d({ x, filter, strides: cfg.strides, pad: 'valid', bias, activation: cfg.activation });
        return { shape: y.shape, values: y.dataSync() as Float32Array };
      }),
    );
    const label = `x ${cfg.x} -> ${cfg.c} stride ${cfg.strides} ${cfg.activation ?? 'linear'}`;
    assert.deepEqual(results.wasm.shape, results.cpu.shape, label);
    assertClose(results.wasm.values, results.cpu.values, 1e-4, 1e-4, label);
  }
});
