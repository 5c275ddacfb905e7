/**
 * Probe: forward + backward of every operation the LRNAS networks, training and attacks use, on cpu and wasm,
 * checked against central finite differences and across the two backends. A missing kernel or gradient on
 * either backend fails its own test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  checkGradients,
  checkOnEachBackend,
  JS_BACKENDS,
  spreadValues,
  useBackend,
  type InputSpec,
} from './grad-check.js';
import { avgPoolExcludePad, depthwiseConv2d } from './index.js';

type T4 = tf.Tensor4D;
interface Case {
  name: string;
  inputs: InputSpec[];
  f: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Finite-difference step, when the default could cross a kink. */
  eps?: number;
}

const f32 = (...shape: number[]): InputSpec => ({ shape });
const positive = (...shape: number[]): InputSpec => ({
  shape,
  values: spreadValues(tf.util.sizeFromShape(shape), 3).map((v) => v + 1.5),
});
const labels = (...values: number[]): InputSpec => ({
  shape: [values.length],
  values: Int32Array.from(values),
  dtype: 'int32',
});

const cases: Case[] = [
  {
    name: 'conv2d 1x1 stride 1',
    inputs: [f32(1, 5, 5, 3), f32(1, 1, 3, 4)],
    f: (x, w) => tf.conv2d(x as T4, w as T4, 1, 0),
  },
  {
    name: 'conv2d 1x1 stride 2',
    inputs: [f32(1, 6, 6, 3), f32(1, 1, 3, 2)],
    f: (x, w) => tf.conv2d(x as T4, w as T4, 2, 0),
  },
  {
    name: 'conv2d 3x3 stride 1 pad 1',
    inputs: [f32(1, 5, 5, 2), f32(3, 3, 2, 3)],
    f: (x, w) => tf.conv2d(x as T4, w as T4, 1, 1),
  },
  {
    name: 'conv2d 3x3 stride 2 pad 1 (odd)',
    inputs: [f32(2, 5, 5, 2), f32(3, 3, 2, 3)],
    f: (x, w) => tf.conv2d(x as T4, w as T4, 2, 1),
  },
  {
    name: 'conv2d 3x3 stride 2 pad 1 (even)',
    inputs: [f32(1, 6, 6, 2), f32(3, 3, 2, 2)],
    f: (x, w) => tf.conv2d(x as T4, w as T4, 2, 1),
  },
  {
    name: 'tf.depthwiseConv2d 3x3 stride 1',
    inputs: [f32(1, 5, 5, 2), f32(3, 3, 2, 1)],
    f: (x, w) => tf.depthwiseConv2d(x as T4, w as T4, 1, 1),
  },
  {
    name: 'tf.depthwiseConv2d 5x5 stride 2',
    inputs: [f32(1, 6, 6, 2), f32(5, 5, 2, 1)],
    f: (x, w) => tf.depthwiseConv2d(x as T4, w as T4, 2, 2),
  },
  {
    name: 'depthwiseConv2d 3x3 dilation 2',
    inputs: [f32(1, 5, 5, 2), f32(3, 3, 2, 1)],
    f: (x, w) => depthwiseConv2d(x as T4, w as T4, 1, 2, 2),
  },
  {
    name: 'depthwiseConv2d 5x5 stride 2 dilation 2',
    inputs: [f32(1, 6, 6, 2), f32(5, 5, 2, 1)],
    f: (x, w) => depthwiseConv2d(x as T4, w as T4, 2, 4, 2),
  },
  { name: 'maxPool 3x3 stride 1 pad 1', inputs: [f32(1, 5, 5, 2)], f: (x) => tf.maxPool(x as T4, 3, 1, 1) },
  { name: 'maxPool 3x3 stride 2 pad 1', inputs: [f32(1, 6, 6, 2)], f: (x) => tf.maxPool(x as T4, 3, 2, 1) },
  { name: 'tf.avgPool 3x3 stride 1 pad 1', inputs: [f32(1, 5, 5, 2)], f: (x) => tf.avgPool(x as T4, 3, 1, 1) },
  { name: 'tf.avgPool 3x3 stride 2 pad 1', inputs: [f32(1, 6, 6, 2)], f: (x) => tf.avgPool(x as T4, 3, 2, 1) },
  {
    name: 'avgPoolExcludePad 3x3 stride 2 pad 1',
    inputs: [f32(1, 5, 5, 2)],
    f: (x) => avgPoolExcludePad(x as T4, 3, 2, 1),
  },
  { name: 'relu', inputs: [f32(2, 3, 4)], f: (x) => tf.relu(x) },
  {
    name: 'batch-norm arithmetic (moments, rsqrt)',
    inputs: [f32(2, 3, 3, 2), positive(2), f32(2)],
    f: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.add(
        tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma as tf.Tensor),
        beta as tf.Tensor,
      );
    },
  },
  {
    name: 'tf.batchNorm',
    inputs: [f32(2, 2, 2, 3), f32(3), positive(3), positive(3), f32(3)],
    f: (x, mean, variance, scale, offset) =>
      tf.batchNorm(
        x as T4,
        mean as tf.Tensor1D,
        variance as tf.Tensor1D,
        offset as tf.Tensor1D,
        scale as tf.Tensor1D,
        1e-3,
      ),
  },
  {
    name: 'add, sub, mul, div with broadcasting',
    inputs: [f32(2, 3), f32(3), positive(2, 1)],
    f: (a, b, c) => tf.div(tf.mul(tf.sub(tf.add(a, b), b), a), c as tf.Tensor),
  },
  {
    name: 'concat (channels)',
    inputs: [f32(1, 2, 2, 2), f32(1, 2, 2, 3)],
    f: (a, b) => tf.concat([a as T4, b as T4], 3),
  },
  { name: 'slice', inputs: [f32(1, 4, 4, 2)], f: (x) => tf.slice(x, [0, 1, 1, 0], [1, 3, 3, 2]) },
  {
    name: 'pad',
    inputs: [f32(1, 3, 3, 2)],
    f: (x) =>
      tf.pad(x, [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ]),
  },
  {
    name: 'stridedSlice stride 2 with offset',
    inputs: [f32(1, 5, 5, 2)],
    f: (x) => tf.stridedSlice(x, [0, 1, 1, 0], [1, 5, 5, 2], [1, 2, 2, 1]),
  },
  // (tfjs 4.22's forward stridedSlice reads wrong elements when shrinkAxisMask meets strides other than 1.)
  {
    name: 'stridedSlice negative stride',
    inputs: [f32(3, 4, 2)],
    f: (x) => tf.stridedSlice(x, [0, 3, 0], [3, 0, 2], [1, -1, 1]),
  },
  {
    name: 'stridedSlice shrink axis',
    inputs: [f32(3, 4, 2)],
    f: (x) => tf.stridedSlice(x, [1, 1, 0], [2, 3, 2], [1, 1, 1], 0, 0, 0, 0, 1),
  },
  {
    name: 'channel shuffle (reshape + transpose)',
    inputs: [f32(1, 2, 2, 6)],
    f: (x) => tf.reshape(tf.transpose(tf.reshape(x, [1, 2, 2, 2, 3]), [0, 1, 2, 4, 3]), [1, 2, 2, 6]),
  },
  { name: 'global average pool (mean over H,W)', inputs: [f32(2, 3, 3, 2)], f: (x) => tf.mean(x, [1, 2]) },
  { name: 'matMul', inputs: [f32(2, 3), f32(3, 4)], f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
  {
    name: 'matMul transposed',
    inputs: [f32(3, 2), f32(4, 3)],
    f: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, true, true),
  },
  { name: 'softmax', inputs: [f32(2, 5)], f: (x) => tf.softmax(x) },
  { name: 'logSoftmax', inputs: [f32(2, 5)], f: (x) => tf.logSoftmax(x) },
  {
    name: 'softmax cross-entropy with oneHot labels',
    inputs: [f32(3, 4), labels(2, 0, 3)],
    f: (logits, y) => tf.losses.softmaxCrossEntropy(tf.oneHot(y as tf.Tensor1D, 4), logits as tf.Tensor2D),
  },
  {
    name: 'gather labels (batchDims 1)',
    inputs: [f32(3, 4), labels(1, 3, 1)],
    f: (x, y) => tf.gather(x, y as tf.Tensor1D, 1, 1),
  },
  {
    name: 'gather axis 1, batchDims 1 of a rank-3 tensor',
    inputs: [f32(2, 3, 4), { shape: [2, 2], values: Int32Array.from([0, 2, 1, 1]), dtype: 'int32' }],
    f: (x, y) => tf.gather(x, y as tf.Tensor2D, 1, 1),
  },
  { name: 'gather axis 1', inputs: [f32(2, 4, 2), labels(3, 0, 3)], f: (x, y) => tf.gather(x, y as tf.Tensor1D, 1) },
  {
    name: 'gather rows with repeats',
    inputs: [f32(4, 3), labels(2, 0, 2, 3)],
    f: (x, y) => tf.gather(x, y as tf.Tensor1D, 0),
  },
  { name: 'sign (zero gradient) times x', inputs: [f32(2, 4)], f: (x) => tf.mul(tf.sign(x), x) },
  { name: 'clipByValue', inputs: [f32(2, 5)], f: (x) => tf.clipByValue(x, -0.55, 0.45) },
  {
    name: 'maximum/minimum (projection onto an eps-ball)',
    inputs: [f32(2, 5), { shape: [2, 5], values: spreadValues(10, 9, 0.5).map((v) => v * 0.5) }],
    // Every x is at least 0.05 from x0 +- 0.25, so a 0.01 step never crosses a kink.
    eps: 0.01,
    f: (x, x0) => tf.minimum(tf.maximum(x, tf.sub(x0, 0.25)), tf.add(x0, 0.25)),
  },
  {
    name: 'where(x > 0) (Select, Greater)',
    inputs: [f32(2, 4)],
    f: (x) => tf.where(tf.greater(x, 0), x, tf.mul(x, 0.1)),
  },
  {
    name: 'exp, log, sqrt, square',
    inputs: [positive(2, 3)],
    f: (x) => tf.add(tf.log(tf.exp(tf.sqrt(x))), tf.square(x)),
  },
  {
    name: 'stack, unstack, split, addN',
    inputs: [f32(2, 3)],
    f: (x) => {
      const [same, squared] = tf.unstack(tf.stack([x, tf.square(x)], 1), 1) as [tf.Tensor, tf.Tensor];
      const [left, right] = tf.split(x, [1, 2], 1) as [tf.Tensor, tf.Tensor];
      return tf.addN([same, squared, tf.concat([right, left], 1)]);
    },
  },
  {
    name: 'tile, expandDims, reverse, max',
    inputs: [f32(2, 3)],
    f: (x) => tf.max(tf.reverse(tf.tile(tf.expandDims(x, 0), [2, 1, 1]), 1), 2),
  },
];

for (const c of cases) {
  test(c.name, async (t) => {
    await checkOnEachBackend(t, () => checkGradients(c.f, c.inputs, c.eps === undefined ? {} : { eps: c.eps }));
  });
}

test('tf.variableGrads through a tiny conv net', async (t) => {
  for (const backend of JS_BACKENDS) {
    await t.test(backend, async () => {
      await useBackend(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(spreadValues(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 0], 'int32'), 4));
      const vars = tf.tidy(() => ({
        conv: tf.variable(tf.tensor4d(spreadValues(27 * 4, 2), [3, 3, 3, 4])),
        dw: tf.variable(tf.tensor4d(spreadValues(9 * 4, 3), [3, 3, 4, 1])),
        dense: tf.variable(tf.tensor2d(spreadValues(16, 4), [4, 4])),
      }));
      const loss = (): tf.Scalar => {
        const a = tf.relu(tf.conv2d(x, vars.conv, 1, 1));
        const b = tf.maxPool(depthwiseConv2d(a, vars.dw, 2, 2, 2), 3, 1, 1);
        const logits = tf.matMul(tf.mean(b, [1, 2]) as tf.Tensor2D, vars.dense);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      };
      const { value, grads } = tf.variableGrads(loss);
      assert.equal(Object.keys(grads).length, 3);
      for (const [name, g] of Object.entries(grads)) {
        assert.ok(
          g.dataSync().some((v) => v !== 0),
          `${name} has a non-zero gradient`,
        );
        assert.ok(g.dataSync().every(Number.isFinite), `${name} is finite`);
      }
      assert.ok(Number.isFinite(value.dataSync()[0]));
      tf.dispose([value, ...Object.values(grads), x, y, ...Object.values(vars)]);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
});
