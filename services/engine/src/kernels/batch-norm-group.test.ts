import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { checkGradients, checkOnEachBackend, spreadValues, useBackend, type InputSpec } from './grad-check.js';
import { setBatchStatisticsReducer } from './batch-norm-train.js';
import { useTwinThreadReducer } from './test-reducer.js';
import { batchNormTraining, batchNormTrainingGroup } from './index.js';

type T4 = tf.Tensor4D;

/** Three BNs of different widths and sizes (2 and 3 channels: partial rows of SIMD lanes; 8: whole ones). */
const SPECS: InputSpec[] = [{ shape: [2, 3, 3, 2] }, { shape: [3, 2, 2, 3] }, { shape: [2, 2, 3, 8] }];

/** The normalised tensors, flattened and concatenated (one output for checkGradients). */
function flat(ys: tf.Tensor[]): tf.Tensor {
  return tf.concat(ys.map((y) => tf.reshape(y, [-1])));
}

function grouped(...xs: tf.Tensor[]): tf.Tensor {
  const results = batchNormTrainingGroup(xs as T4[], 1e-5);
  tf.dispose(results.flatMap((r) => [r.mean, r.variance]));
  return flat(results.map((r) => r.y));
}

/** Scale and offset of the affine members (BNs 0 and 2 of SPECS; BN 1 has none), as inputs after the xs. */
const AFFINE_SPECS: InputSpec[] = [
  ...SPECS,
  { shape: [2], values: Float32Array.of(1.5, -0.75) },
  { shape: [2], values: Float32Array.of(0.25, -0.5) },
  { shape: [8] },
  { shape: [8] },
];

/** The group of SPECS with BNs 0 and 2 affine (inputs: x0, x1, x2, scale0, offset0, scale2, offset2). */
function groupedAffine(...inputs: tf.Tensor[]): tf.Tensor {
  const [x0, x1, x2, g0, b0, g2, b2] = inputs as [T4, T4, T4, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const results = batchNormTrainingGroup([x0, x1, x2], 1e-5, [
    { scale: g0, offset: b0 },
    undefined,
    { scale: g2, offset: b2 },
  ]);
  tf.dispose(results.flatMap((r) => [r.mean, r.variance]));
  return flat(results.map((r) => r.y));
}

function oneByOneAffine(...inputs: tf.Tensor[]): tf.Tensor {
  const [x0, x1, x2, g0, b0, g2, b2] = inputs as [T4, T4, T4, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const results = [
    batchNormTraining(x0, g0, b0, 1e-5),
    batchNormTraining(x1, undefined, undefined, 1e-5),
    batchNormTraining(x2, g2, b2, 1e-5),
  ];
  tf.dispose(results.flatMap((r) => [r.mean, r.variance]));
  return flat(results.map((r) => r.y));
}

function oneByOne(...xs: tf.Tensor[]): tf.Tensor {
  const results = xs.map((x) => batchNormTraining(x as T4, undefined, undefined, 1e-5));
  tf.dispose(results.flatMap((r) => [r.mean, r.variance]));
  return flat(results.map((r) => r.y));
}

test('a group of batch norms gives each its own output and gradient, to the bit (finite differences, cpu and wasm)', async (t) => {
  await checkOnEachBackend(t, () => {
    const group = checkGradients(grouped, SPECS);
    const single = checkGradients(oneByOne, SPECS);
    assert.deepEqual(group.output, single.output, 'outputs of the group and of the BNs one by one');
    assert.deepEqual(group.gradients, single.gradients, 'gradients of the group and of the BNs one by one');
    return group;
  });
});

test('a group of affine and plain batch norms gives each its own output and gradients (x, scale, offset), to the bit (finite differences, cpu and wasm)', async (t) => {
  await checkOnEachBackend(t, () => {
    const group = checkGradients(groupedAffine, AFFINE_SPECS);
    const single = checkGradients(oneByOneAffine, AFFINE_SPECS);
    assert.deepEqual(group.output, single.output, 'outputs of the group and of the BNs one by one');
    assert.deepEqual(group.gradients, single.gradients, 'gradients of the group and of the BNs one by one');
    return group;
  });
});

test('with engine threads a group of batch norms meets once each way on wasm, with the bits of its BNs one by one', async () => {
  await useBackend('wasm');
  const xs = SPECS.map((s, i) => tf.tensor4d(spreadValues(tf.util.sizeFromShape(s.shape), 60 + i), s.shape as never));
  const size = xs.reduce((n, x) => n + x.size, 0);
  const dy = tf.tensor1d(spreadValues(size, 70));
  const reducer = useTwinThreadReducer();
  try {
    const run = (
      f: (...xs: tf.Tensor[]) => tf.Tensor,
      extra: tf.Tensor[] = [],
    ): { y: Float32Array; dx: Float32Array[]; meetings: number } => {
      reducer.meetings = 0;
      // Gradients of the xs and of `extra` (inputs of f after the xs).
      const { value, grads } = tf.valueAndGrads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(f(...inputs), dy)))([
        ...xs,
        ...extra,
      ]);
      const out = {
        y: Float32Array.of(value.dataSync()[0] as number),
        dx: grads.map((g) => g.dataSync() as Float32Array),
        meetings: reducer.meetings,
      };
      tf.dispose([value, ...grads]);
      return out;
    };
    const group = run(grouped);
    const single = run(oneByOne);
    assert.equal(group.meetings, 2, 'one meeting forward and one backward for the whole group');
    assert.equal(single.meetings, 2 * xs.length, 'one meeting each way per BN one by one');
    assert.deepEqual(group.y, single.y);
    assert.deepEqual(group.dx, single.dx);
    // The same with BNs 0 and 2 affine: their scale and offset gradients are this thread's shares.
    const params = AFFINE_SPECS.slice(SPECS.length).map((s, i) =>
      tf.tensor1d(s.values ?? spreadValues(tf.util.sizeFromShape(s.shape), 80 + i)),
    );
    const affineGroup = run(groupedAffine, params);
    const affineSingle = run(oneByOneAffine, params);
    assert.equal(affineGroup.meetings, 2, 'one meeting each way for a group with affine members');
    assert.equal(affineSingle.meetings, 2 * xs.length);
    assert.deepEqual(affineGroup.y, affineSingle.y);
    assert.deepEqual(affineGroup.dx, affineSingle.dx);
    tf.dispose(params);
  } finally {
    setBatchStatisticsReducer(undefined);
    tf.dispose([...xs, dy]);
  }
});
