import * as tf from '@tensorflow/tfjs-core';

/** What a gradient function returns: one thunk per differentiable input. */
export type GradMap = ReturnType<tf.GradFunc>;

/** A gradient definition; `gradFunc` gets the kernel's attributes already typed. */
export interface Grad<A = Record<string, unknown>> {
  kernelName: string;
  inputsToSave?: string[];
  saveAllInputs?: boolean;
  outputsToSave?: boolean[];
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: A) => GradMap;
}

/** Erases the attribute type so gradients of different kernels fit in one list. */
export function grad<A>(config: Grad<A>): tf.GradConfig {
  return config as unknown as tf.GradConfig;
}

/** The single dy of a single-output kernel. */
export function one(dy: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(dy)) throw new Error('expected the gradient of a single-output kernel');
  return dy;
}

/** The saved tensor at `index`, which the gradient config promised to save. */
export function at(saved: tf.Tensor[], index: number): tf.Tensor {
  const t = saved[index];
  if (!t) throw new Error(`gradient is missing saved tensor #${index}`);
  return t;
}

/** Sums a broadcast gradient back down to the shape of the input it came from. */
export function unbroadcast(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape);
}

/** Float32 zeros shaped like `t` (gradients must be float32 even for int or bool inputs). */
export function zeros(t: tf.Tensor): tf.Tensor {
  return tf.zeros(t.shape, 'float32');
}

/** `mask` (bool) as 0/1 float32. */
export function asFloat(mask: tf.Tensor): tf.Tensor {
  return tf.cast(mask, 'float32');
}

/** The reduced axes of a reduction kernel, normalised (null or undefined means all axes). */
export function reductionAxes(axis: number | number[] | null | undefined, shape: number[]): number[] {
  return tf.util.parseAxisParam(axis ?? shape.map((_, i) => i), shape);
}

/** `shape` with the reduced axes kept as size 1, so a reduced result broadcasts against the input. */
export function keptShape(shape: number[], axes: number[]): number[] {
  return shape.map((size, i) => (axes.includes(i) ? 1 : size));
}
