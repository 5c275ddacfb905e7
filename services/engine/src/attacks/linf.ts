import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random.js';

/** Projects `candidate` onto the L-inf ball of radius `epsilon` around `x`, intersected with [0, 1]. */
export function projectLinf(candidate: tf.Tensor4D, x: tf.Tensor4D, epsilon: number): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.clipByValue(tf.minimum(tf.maximum(candidate, tf.sub(x, epsilon)), tf.add(x, epsilon)), 0, 1) as tf.Tensor4D,
  );
}

/** A uniform random point of the L-inf ball around `x` (then clipped to [0, 1]), drawn from `rng`. */
export function randomLinfStart(x: tf.Tensor4D, epsilon: number, rng: Rng): tf.Tensor4D {
  const noise = rng.fillUniform(new Float32Array(x.size), -epsilon, epsilon);
  return tf.tidy(() => projectLinf(tf.add(x, tf.tensor(noise, x.shape)), x, epsilon));
}

/** One signed-gradient ascent step of per-example size `stepSize` (a number or a [N,1,1,1] tensor), projected. */
export function signStep(
  point: tf.Tensor4D,
  grad: tf.Tensor4D,
  stepSize: number | tf.Tensor4D,
  x: tf.Tensor4D,
  epsilon: number,
): tf.Tensor4D {
  return tf.tidy(() => projectLinf(tf.add(point, tf.mul(tf.sign(grad), stepSize)), x, epsilon));
}
