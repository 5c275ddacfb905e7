import * as tf from '@tensorflow/tfjs-core';
import { elementwiseGradients } from './elementwise.js';
import { nnGradients } from './nn.js';
import { reduceGradients } from './reduce.js';
import { shapeGradients } from './shape.js';

/** Every gradient this module defines. */
export const gradients: tf.GradConfig[] = [...elementwiseGradients, ...reduceGradients, ...shapeGradients, ...nnGradients];

/**
 * Registers our gradient for every kernel that has none. `@tensorflow/tfjs-core` alone registers no gradients
 * in Node (its CommonJS build leaves them out), so without this `tf.grad` fails on every backend; a gradient
 * someone else registered (for instance by loading the full `@tensorflow/tfjs`) is left in place.
 */
export function registerGradients(): void {
  for (const config of gradients) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
