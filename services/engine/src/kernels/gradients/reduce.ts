import * as tf from '@tensorflow/tfjs-core';
import { asFloat, at, grad, keptShape, one, reductionAxes } from './util.js';

/** dy of a reduction, reshaped with kept axes and broadcast over x (an add: tf.broadcastTo is ~50x slower on wasm). */
function spread(dy: tf.Tensor, x: tf.Tensor, axes: number[]): tf.Tensor {
  return tf.add(tf.zerosLike(x), tf.reshape(dy, keptShape(x.shape, axes)));
}

/** Max and Min: the gradient goes to every element equal to the extreme (ties share it, as in TensorFlow.js). */
function extreme(kernelName: 'Max' | 'Min', axisAttr: 'reductionIndices' | 'axis'): tf.GradConfig {
  return grad({
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs: Record<string, number | number[]>) => {
      const [x, y] = [at(saved, 0), at(saved, 1)];
      const axes = reductionAxes(attrs[axisAttr], x.shape);
      const hit = asFloat(tf.equal(x, tf.reshape(y, keptShape(x.shape, axes))));
      return { x: () => tf.mul(spread(one(dy), x, axes), hit) };
    },
  });
}

/** Gradients of the reduction kernels. */
export const reduceGradients: tf.GradConfig[] = [
  grad({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.SumAttrs) => {
      const x = at(saved, 0);
      return { x: () => spread(one(dy), x, reductionAxes(attrs.axis, x.shape)) };
    },
  }),
  grad({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.MeanAttrs) => {
      const x = at(saved, 0);
      const axes = reductionAxes(attrs.axis, x.shape);
      const count = axes.reduce((n, axis) => n * (x.shape[axis] ?? 1), 1);
      return { x: () => tf.div(spread(one(dy), x, axes), count) };
    },
  }),
  extreme('Max', 'reductionIndices'),
  extreme('Min', 'axis'),
];
