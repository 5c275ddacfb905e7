import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';

/**
 * unsortedSegmentSum as a scatterND, which adds up duplicate indices. Rows whose id is out of range are
 * dropped (as TensorFlow drops negative ids) by sending them to an extra segment that is cut off afterwards.
 */
export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const rows = segmentIds.size;
    const rowShape = x.shape.slice(segmentIds.rank);
    const ids = tf.reshape(segmentIds, [rows]);
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments));
    const target = tf.where(valid, ids, tf.fill([rows], numSegments, 'int32'));
    const data = tf.reshape(x, [rows, ...rowShape]);
    const summed = tf.scatterND(tf.reshape(target, [rows, 1]), data, [numSegments + 1, ...rowShape]);
    return tf.slice(summed, 0, numSegments);
  });
}

/** wasm kernel for UnsortedSegmentSum (used by the gradient of gather). */
export const segmentSumKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'UnsortedSegmentSum',
    kernelFunc: ({ inputs, attrs }) =>
      unsortedSegmentSum(
        tensorInput(inputs, 'x'),
        tensorInput(inputs, 'segmentIds'),
        (attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments,
      ),
  },
];
