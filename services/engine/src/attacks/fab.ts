import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { ensureGradients, misclassifiedBy } from './gradient.js';
import { takeData } from '../read.js';
import { deriveSeedFromParts, Rng } from '../random.js';
import { overTargetClasses } from './targeted.js';
import {
  checkBatch,
  checkCount,
  checkEpsilon,
  checkSeed,
  checkLabels,
  type AttackResult,
  type Classifier,
} from './types.js';

/** Settings of FAB-T. */
export interface FabOptions {
  /** L-inf radius within which a found point counts as adversarial. */
  epsilon: number;
  /** Iterations per target class and restart (default 100). */
  steps?: number;
  /** Target classes tried, most likely first (default 9, AutoAttack's standard suite). */
  targetClasses?: number;
  /** Runs per target class; later ones start from a random point near the input (default 1). */
  restarts?: number;
  /** Largest weight of the step's projection of the original point (default 0.1). */
  alphaMax?: number;
  /** Overshoot of each projection, past the linearised boundary (default 1.05). */
  eta?: number;
  /** Backward step towards the input after a point fools the model (default 0.9). */
  beta?: number;
  /** Seed of the random restarts (default 0). */
  seed?: number;
}

/**
 * The smallest L-inf move `d` with `p + d` in [0, 1] onto the hyperplane w . z + c = 0, or, when the box does
 * not reach the hyperplane, the move of the box that gets closest. Each coordinate moves by min(r, room) in
 * the direction that changes w . z the right way; the sum of |w_i| min(r, room_i) is piecewise linear and
 * increasing in r, so r is found exactly between two sorted rooms.
 */
export function projectOntoHyperplaneLinf(p: Float32Array, w: Float32Array, c: number): Float32Array {
  if (p.length !== w.length) throw new ContractError('w', `has ${w.length} entries for a point of ${p.length}`);
  const n = p.length;
  const d = new Float32Array(n);
  let value = c;
  for (let i = 0; i < n; i++) value += (w[i] as number) * (p[i] as number);
  const needed = Math.abs(value);
  if (needed === 0) return d;
  // Moving coordinate i by +1 in direction `up` changes w . z by `sign`; we need w . z to fall by `value`.
  const up = new Int8Array(n);
  const room = new Float64Array(n);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const wi = w[i] as number;
    const dir = Math.sign(wi) * -Math.sign(value);
    up[i] = dir;
    room[i] = dir > 0 ? 1 - (p[i] as number) : dir < 0 ? (p[i] as number) : 0;
    weight[i] = Math.abs(wi);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (room[a] as number) - (room[b] as number));
  let reachedBelow = 0; // sum of |w_i| room_i over coordinates already saturated
  let slope = 0;
  for (let i = 0; i < n; i++) slope += weight[i] as number;
  let r = room[order[n - 1] as number] ?? 0; // infeasible: every coordinate moves as far as the box allows
  for (const i of order) {
    const ui = room[i] as number;
    if (reachedBelow + ui * slope >= needed) {
      r = slope > 0 ? (needed - reachedBelow) / slope : ui;
      break;
    }
    reachedBelow += (weight[i] as number) * ui;
    slope -= weight[i] as number;
  }
  for (let i = 0; i < n; i++) d[i] = (up[i] as number) * Math.min(r, room[i] as number);
  return d;
}

/** L-inf norm of a vector. */
function linfNorm(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
}

/**
 * FAB-T (Croce & Hein 2020, "Minimally distorted adversarial examples with a fast adaptive boundary attack"),
 * L-inf, as AutoAttack's standard suite runs it: per target class (runner-up first, only on the examples still
 * classified correctly) it walks from the input by projecting both the current point and the input onto the
 * linearised boundary between true and target class, steps by a convex mix of the two, and on success keeps the
 * closest fooling point and steps back towards the input. A point counts only within `epsilon` of the input;
 * examples never fooled within it are returned unchanged.
 */
export async function fabTargeted(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: FabOptions,
): Promise<AttackResult> {
  const { epsilon, steps = 100, targetClasses = 9, restarts = 1, alphaMax = 0.1, eta = 1.05, beta = 0.9 } = options;
  const seed = options.seed ?? 0;
  await checkBatch(x, y);
  checkEpsilon(epsilon);
  checkCount(steps, 'steps');
  checkCount(restarts, 'restarts');
  checkSeed(seed);
  if (!(alphaMax >= 0 && alphaMax <= 1)) throw new ContractError('alphaMax', `must be in [0, 1], got ${alphaMax}`);
  if (!(eta >= 1)) throw new ContractError('eta', `must be >= 1, got ${eta}`);
  if (!(beta > 0 && beta <= 1)) throw new ContractError('beta', `must be in (0, 1], got ${beta}`);
  if (x.shape[0] > 0) {
    const classes = tf.tidy(() => model(tf.slice(x, 0, 1)).shape[1] ?? 0);
    await checkLabels(classes, y);
  }
  const settings = { epsilon, steps, alphaMax, eta, beta };
  return overTargetClasses(model, x, y, targetClasses, async (xs, ys, targets, round) => {
    const found = await fabRun(model, xs, ys, targets, settings, restarts, new Rng(deriveSeedFromParts(seed, round)));
    try {
      return { adversarial: found, success: await misclassifiedBy(model, found, ys) };
    } catch (error) {
      found.dispose();
      throw error;
    }
  });
}

interface FabSettings {
  epsilon: number;
  steps: number;
  alphaMax: number;
  eta: number;
  beta: number;
}

/** The FAB iterations for one target per example; returns the closest fooling point within epsilon, else the input. */
async function fabRun(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  targets: tf.Tensor1D,
  s: FabSettings,
  restarts: number,
  rng: Rng,
): Promise<tf.Tensor4D> {
  ensureGradients();
  const [n, ...imageShape] = x.shape;
  const size = imageShape.reduce((a, b) => a * b, 1);
  const origin = Float32Array.from(await x.data());
  const best = Float32Array.from(origin);
  const bestDistance = new Float64Array(n).fill(Infinity);
  // The gradient of z_target - z_true: its zero set, linearised, is the boundary FAB projects onto.
  const gap = (z: tf.Tensor2D): tf.Tensor1D =>
    tf.sub(tf.sum(tf.mul(z, tf.oneHot(targets, z.shape[1])), 1), tf.sum(tf.mul(z, tf.oneHot(y, z.shape[1])), 1));
  /** Per example the gap and its input gradient at `point`, in one forward and backward pass. */
  const gapAndGrad = async (point: tf.Tensor4D): Promise<{ gaps: Float32Array; grads: Float32Array }> => {
    let perExample: tf.Tensor1D | undefined;
    const grad = tf.grad((input: tf.Tensor) => {
      const g = gap(model(input as tf.Tensor4D));
      perExample = tf.keep(g);
      return tf.sum(g);
    })(point);
    const [gaps, grads] = await Promise.all([takeData(perExample!), takeData(grad)]);
    return { gaps: Float32Array.from(gaps), grads: Float32Array.from(grads) };
  };

  for (let restart = 0; restart < restarts; restart++) {
    const current = Float32Array.from(origin);
    if (restart > 0) {
      // AutoAttack's random restart: a random point at half the best distance found so far (or epsilon).
      for (let i = 0; i < n; i++) {
        const radius = Math.min(bestDistance[i] as number, s.epsilon) / 2;
        for (let f = i * size; f < (i + 1) * size; f++)
          current[f] = Math.min(1, Math.max(0, (origin[f] as number) + radius * (2 * rng.nextFloat() - 1)));
      }
    }
    for (let step = 0; step < s.steps; step++) {
      const point = tf.tensor4d(current, x.shape);
      let gaps: Float32Array, grads: Float32Array;
      try {
        ({ gaps, grads } = await gapAndGrad(point));
      } finally {
        point.dispose();
      }
      for (let i = 0; i < n; i++) {
        const span = [i * size, (i + 1) * size] as const;
        const w = grads.subarray(...span);
        const here = current.subarray(...span);
        const start = origin.subarray(...span);
        // Hyperplane w . z + c = 0 through the linearisation at the current point.
        let c = gaps[i] as number;
        for (let f = 0; f < size; f++) c -= (w[f] as number) * (here[f] as number);
        const fromHere = projectOntoHyperplaneLinf(here, w, c);
        const fromStart = projectOntoHyperplaneLinf(start, w, c);
        const a1 = linfNorm(fromHere);
        const a2 = linfNorm(fromStart);
        const alpha = a1 + a2 > 0 ? Math.min(Math.max(a1 / (a1 + a2), 0), s.alphaMax) : 0;
        for (let f = 0; f < size; f++) {
          const mixed =
            ((here[f] as number) + s.eta * (fromHere[f] as number)) * (1 - alpha) +
            ((start[f] as number) + s.eta * (fromStart[f] as number)) * alpha;
          here[f] = Math.min(1, Math.max(0, mixed));
        }
      }
      const moved = tf.tensor4d(current, x.shape);
      const fooled = await misclassifiedBy(model, moved, y);
      moved.dispose();
      fooled.forEach((isFooled, i) => {
        if (!isFooled) return;
        const here = current.subarray(i * size, (i + 1) * size);
        const start = origin.subarray(i * size, (i + 1) * size);
        let distance = 0;
        for (let f = 0; f < size; f++)
          distance = Math.max(distance, Math.abs((here[f] as number) - (start[f] as number)));
        if (distance < (bestDistance[i] as number)) {
          bestDistance[i] = distance;
          best.set(here, i * size);
        }
        // Step back towards the input: the next projections then look for a closer crossing.
        for (let f = 0; f < size; f++)
          here[f] = (start[f] as number) + ((here[f] as number) - (start[f] as number)) * s.beta;
      });
    }
  }
  for (let i = 0; i < n; i++) {
    // Float32 storage can put a point a rounding error past epsilon; such a point is not counted.
    if (!((bestDistance[i] as number) <= s.epsilon)) best.set(origin.subarray(i * size, (i + 1) * size), i * size);
  }
  return tf.tensor4d(best, x.shape);
}
