import * as tf from '@tensorflow/tfjs-core';
import { asFloat, at, grad, keptShape, one, reductionAxes } from './util.js';

/** dy of a reduction, reshaped with kept axes and broadcast over the input's shape. */
function spread(dy: tf.Tensor, shape: number[], axes: number[]): tf.Tensor {
  return tf.broadcastTo(tf.reshape(dy, keptShape(shape, axes)), shape);
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
      return { x: () => tf.mul(spread(one(dy), x.shape, axes), hit) };
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
      return { x: () => spread(one(dy), x.shape, reductionAxes(attrs.axis, x.shape)) };
    },
  }),
  grad({
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.MeanAttrs) => {
      const x = at(saved, 0);
      const axes = reductionAxes(attrs.axis, x.shape);
      const count = axes.reduce((n, axis) => n * (x.shape[axis] ?? 1), 1);
      return { x: () => tf.div(spread(one(dy), x.shape, axes), count) };
    },
  }),
  extreme('Max', 'reductionIndices'),
  extreme('Min', 'axis'),
];
