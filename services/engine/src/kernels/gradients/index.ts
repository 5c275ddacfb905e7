import * as tf from '@tensorflow/tfjs-core';
import { channelAffineGradient } from '../channel-affine.js';
import { elementwiseGradients } from './elementwise.js';
import { nnGradients } from './nn.js';
import { reduceGradients } from './reduce.js';
import { shapeGradients } from './shape.js';

/** Every gradient this module defines. */
export const gradients: tf.GradConfig[] = [
  ...elementwiseGradients,
  ...reduceGradients,
  ...shapeGradients,
  ...nnGradients,
  channelAffineGradient,
];

/**
 * Registers our gradients. `@tensorflow/tfjs-core` alone registers none in Node (its CommonJS build leaves them
 * out), so without this `tf.grad` fails on every backend. With `replace`, ours also replace gradients registered
 * by others (tfjs's own are wrong for padded AvgPool and slow for Sum/Mean on cpu and wasm); without it they only
 * fill gaps, leaving e.g. tfjs-node's (which match its native kernels) in place.
 */
export function registerGradients(replace: boolean): void {
  for (const config of gradients) {
    const current = tf.getGradient(config.kernelName);
    if (current === config) continue;
    if (current !== undefined) {
      if (!replace) continue;
      tf.unregisterGradient(config.kernelName);
    }
    tf.registerGradient(config);
  }
}
