// Small differentiable classifiers and data for the attack tests (dense, conv2d and relu only).
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../random.js';
import type { AttackResult, Classifier } from './types.js';

/** Backends every attack test runs on. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/** Switches to a backend for a test. */
export async function useBackend(name: (typeof TEST_BACKENDS)[number]): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  await tf.ready();
}

/** Gaussian values from a seeded stream (Box-Muller). */
export function gaussian(rng: Rng, count: number, std: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = 1 - rng.nextFloat();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  }
  return out;
}

/** Uniform images in [0, 1]. */
export function randomImages(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  return tf.tensor4d(rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, 1), shape);
}

/** A linear model on flattened images: logits = flatten(x) W + b, with W of shape [features, classes]. */
export interface LinearModel {
  model: Classifier;
  weights: Float32Array;
  bias: Float32Array;
  features: number;
  classes: number;
  dispose(): void;
}

/** A linear classifier with seeded Gaussian weights. */
export function linearModel(seed: number, features: number, classes: number, std = 0.1): LinearModel {
  const rng = new Rng(seed);
  const weights = gaussian(rng, features * classes, std);
  const bias = gaussian(rng, classes, std);
  const w = tf.tensor2d(weights, [features, classes]);
  const b = tf.tensor1d(bias);
  const model: Classifier = (x) => tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], features]), w), b));
  return { model, weights, bias, features, classes, dispose: () => tf.dispose([w, b]) };
}

/** A tiny conv net with seeded He-scaled weights: conv3x3-relu, conv3x3 stride 2-relu, dense. */
export function tinyConvNet(
  seed: number,
  size: number,
  channels: number,
  classes: number,
): { model: Classifier; dispose(): void } {
  const rng = new Rng(seed);
  const f1 = 6;
  const f2 = 8;
  const half = Math.ceil(size / 2);
  const k1 = tf.tensor4d(gaussian(rng, 9 * channels * f1, Math.sqrt(2 / (9 * channels))), [3, 3, channels, f1]);
  const k2 = tf.tensor4d(gaussian(rng, 9 * f1 * f2, Math.sqrt(2 / (9 * f1))), [3, 3, f1, f2]);
  const dense = tf.tensor2d(gaussian(rng, half * half * f2 * classes, Math.sqrt(2 / (half * half * f2))), [
    half * half * f2,
    classes,
  ]);
  const bias = tf.tensor1d(gaussian(rng, classes, 0.1));
  const model: Classifier = (x) =>
    tf.tidy(() => {
      const h1 = tf.relu(tf.conv2d(x, k1, 1, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, k2, 2, 'same'));
      return tf.add(tf.matMul(tf.reshape(h2, [x.shape[0], half * half * f2]), dense), bias);
    });
  return { model, dispose: () => tf.dispose([k1, k2, dense, bias]) };
}

/** The model's own top class for each image (so that clean accuracy is 100%). */
export function predictedLabels(model: Classifier, x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.argMax(model(x), 1), 'int32') as tf.Tensor1D);
}

/** Images to attack labelled with the model's own top class, and one disposer for the model, images and labels. */
export interface Labelled {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  dispose(): void;
}

function labelled(net: { model: Classifier; dispose(): void }, x: tf.Tensor4D): Labelled {
  const y = predictedLabels(net.model, x);
  return {
    x,
    y,
    dispose: () => {
      tf.dispose([x, y]);
      net.dispose();
    },
  };
}

/**
 * `tinyConvNet(net.seed, net.size, 3, net.classes)` and `images.count` boundary images of its size from
 * `images.seed`, labelled with its own predictions.
 */
export function convCase(
  net: { seed: number; size: number; classes: number },
  images: { seed: number; count: number },
): Labelled & { net: { model: Classifier } } {
  const conv = tinyConvNet(net.seed, net.size, 3, net.classes);
  return { net: conv, ...labelled(conv, boundaryImages(images.seed, [images.count, net.size, net.size, 3])) };
}

/**
 * The case every L-inf attack is held to exactly: a two-class linear model on 24 4x4x3 boundary images labelled
 * with its own predictions, epsilon 0.05, and the exact worst case there.
 */
export function linearCase(): Labelled & {
  lin: LinearModel;
  epsilon: number;
  optimum: ReturnType<typeof linearOptimum>;
} {
  const lin = linearModel(11, 4 * 4 * 3, 2);
  const data = labelled(lin, boundaryImages(17, [24, 4, 4, 3]));
  const epsilon = 0.05;
  return { lin, epsilon, optimum: linearOptimum(lin, data.x, data.y, epsilon), ...data };
}

/** A two-class linear model on three 2x2x3 images: enough to call an attack with bad settings. */
export function tinyLinearCase(): Labelled & { lin: LinearModel } {
  const lin = linearModel(1, 12, 2);
  return { lin, ...labelled(lin, boundaryImages(2, [3, 2, 2, 3])) };
}

/** Accuracy of the model on (x, y). */
export function accuracy(model: Classifier, x: tf.Tensor4D, y: tf.Tensor1D): number {
  const correct = tf.tidy(
    () => tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(model(x), 1), 'int32'), y), 'int32')).dataSync()[0] ?? 0,
  );
  return correct / x.shape[0];
}

/** Largest |a - b| and the range of a. */
export function linfStats(adversarial: tf.Tensor4D, x: tf.Tensor4D): { distance: number; min: number; max: number } {
  return tf.tidy(() => ({
    distance: tf.max(tf.abs(tf.sub(adversarial, x))).dataSync()[0] ?? NaN,
    min: tf.min(adversarial).dataSync()[0] ?? NaN,
    max: tf.max(adversarial).dataSync()[0] ?? NaN,
  }));
}

/** Uniform images in which about a third of the pixels sit exactly on 0 or 1, to exercise clipping. */
export function boundaryImages(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Rng(seed);
  const data = rng.fillUniform(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, 1);
  for (let i = 0; i < data.length; i++) {
    const u = rng.nextFloat();
    if (u < 1 / 6) data[i] = 0;
    else if (u < 1 / 3) data[i] = 1;
  }
  return tf.tensor4d(data, shape);
}

/**
 * For a two-class linear model, the exact worst case in the L-inf ball and [0, 1]: the margin is
 * linear and separable, so each pixel moves to clip(x - eps * sign(w_y - w_other)). Returns the
 * points and, per example, whether they are misclassified (margin <= 0) and the optimal margin.
 */
export function linearOptimum(
  lin: LinearModel,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsilon: number,
): { points: Float32Array; fooled: boolean[]; margin: number[] } {
  if (lin.classes !== 2) throw new Error('linearOptimum needs a two-class model');
  const data = x.dataSync();
  const labels = y.dataSync();
  const n = x.shape[0];
  const points = new Float32Array(data.length);
  const fooled: boolean[] = [];
  const margin: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    let m = lin.bias[label]! - lin.bias[1 - label]!;
    for (let f = 0; f < lin.features; f++) {
      const d = lin.weights[f * 2 + label]! - lin.weights[f * 2 + 1 - label]!;
      const v = Math.min(1, Math.max(0, data[i * lin.features + f]! - epsilon * Math.sign(d)));
      points[i * lin.features + f] = v;
      m += d * v;
    }
    fooled.push(m < 0);
    margin.push(m);
  }
  return { points, fooled, margin };
}

/**
 * Asserts that an attack follows its seed: run twice with seed 9 it returns the same examples and reports the same
 * (every field but the examples), with seed 10 other examples. Disposes what the runs return.
 */
export async function assertFollowsSeed(run: (seed: number) => Promise<AttackResult>): Promise<void> {
  const a = await run(9);
  const b = await run(9);
  const c = await run(10);
  const report = ({ adversarial: _, ...rest }: AttackResult): unknown => rest;
  assert.deepEqual(a.adversarial.dataSync(), b.adversarial.dataSync());
  assert.deepEqual(report(a), report(b));
  assert.notDeepEqual(a.adversarial.dataSync(), c.adversarial.dataSync());
  tf.dispose([a.adversarial, b.adversarial, c.adversarial]);
}

/** Asserts that adversarial examples lie within epsilon of x (L-inf, 1e-6 tolerance) and in [0, 1]. */
export function assertInThreatModel(adversarial: tf.Tensor4D, x: tf.Tensor4D, epsilon: number, what: string): void {
  const s = linfStats(adversarial, x);
  if (!(s.distance <= epsilon + 1e-6))
    throw new Error(`${what}: L-inf distance ${s.distance} exceeds epsilon ${epsilon}`);
  if (!(s.min >= 0 && s.max <= 1)) throw new Error(`${what}: pixels in [${s.min}, ${s.max}], outside [0, 1]`);
  if (adversarial.shape.join() !== x.shape.join())
    throw new Error(`${what}: shape ${adversarial.shape} differs from ${x.shape}`);
}
