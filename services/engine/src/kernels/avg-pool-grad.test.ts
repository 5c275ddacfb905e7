import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { assertClose, onEachBackend, spreadValues } from './grad-check.js';

type Shape4 = [number, number, number, number];

/** AvgPoolGrad of the active backend for a pool of x with the given attributes. */
function avgPoolGrad(xShape: Shape4, attrs: tf.AvgPoolAttrs): { shape: number[]; values: Float32Array } {
  return tf.tidy(() => {
    const x = tf.zeros(xShape);
    const y = tf.avgPool(x as tf.Tensor4D, attrs.filterSize, attrs.strides, attrs.pad);
    const dy = tf.tensor(spreadValues(y.size, 4), y.shape);
    const dx = tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { ...attrs } as unknown as tf.NamedAttrMap);
    const t = dx as tf.Tensor;
    return { shape: t.shape, values: t.dataSync() as Float32Array };
  });
}

const cases: Array<[string, Shape4, tf.AvgPoolAttrs]> = [
  ['3x3 stride 1 valid', [2, 5, 6, 3], { filterSize: 3, strides: 1, pad: 'valid' }],
  ['3x3 stride 1 pad 1', [1, 5, 5, 2], { filterSize: 3, strides: 1, pad: 1 }],
  ['3x3 stride 2 pad 1 (odd)', [2, 7, 7, 2], { filterSize: 3, strides: 2, pad: 1 }],
  ['3x3 stride 2 pad 1 (even)', [1, 8, 8, 2], { filterSize: 3, strides: 2, pad: 1 }],
  ['3x3 stride 2 same', [1, 6, 5, 2], { filterSize: 3, strides: 2, pad: 'same' }],
  ['5x5 stride 3 valid (aux head)', [2, 8, 8, 3], { filterSize: 5, strides: 3, pad: 'valid' }],
  ['2x3 window, strides 2x1, valid', [1, 7, 6, 2], { filterSize: [2, 3], strides: [2, 1], pad: 'valid' }],
  ['1x1 stride 2 (subsampling)', [1, 5, 5, 2], { filterSize: 1, strides: 2, pad: 'valid' }],
  ['window larger than stride leaves uncovered rows', [1, 9, 9, 1], { filterSize: 2, strides: 3, pad: 'valid' }],
  // Channels for the SIMD kernel's vector (4, 8), flat-run (1, 2 at stride 1) and scalar (3) paths.
  ['3x3 stride 1 pad 1, 8 channels', [2, 6, 7, 8], { filterSize: 3, strides: 1, pad: 1 }],
  ['3x3 stride 2 pad 1, 4 channels', [1, 9, 8, 4], { filterSize: 3, strides: 2, pad: 1 }],
  ['3x3 stride 1 pad 1, 1 channel', [2, 7, 9, 1], { filterSize: 3, strides: 1, pad: 1 }],
  ['1x1 stride 2, 8 channels', [2, 6, 6, 8], { filterSize: 1, strides: 2, pad: 'valid' }],
];

test('our wasm AvgPoolGrad equals the cpu kernel', async () => {
  for (const [name, shape, attrs] of cases) {
    const { cpu: expected, wasm: actual } = await onEachBackend(() => avgPoolGrad(shape, attrs), name);
    assert.deepEqual(actual.shape, expected.shape, name);
    assertClose(actual.values, expected.values, 1e-6, 1e-5, name);
  }
});
