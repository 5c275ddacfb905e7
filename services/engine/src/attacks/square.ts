import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { Rng } from '../random.js';
import {
  checkBatch,
  checkCount,
  checkEpsilon,
  checkLogits,
  checkSeed,
  type AttackResult,
  type Classifier,
} from './types.js';

/** Settings of the Square attack. */
export interface SquareOptions {
  epsilon: number;
  /** Query budget per example and restart, the initial one included (default 5000). */
  queries?: number;
  /** Initial fraction of pixels a square covers (default 0.05). */
  pInit?: number;
  /** Independent runs; later ones attack only the examples not yet fooled (default 1). */
  restarts?: number;
  /** Seed of every random choice (default 0). */
  seed?: number;
}

/** Square attack output; `queries` counts model evaluations spent on each example. */
export interface SquareResult extends AttackResult {
  queries: number[];
}

/** Iterations (out of 10,000) after which the paper halves p. */
const HALVING_POINTS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

/**
 * The paper's schedule of p (fraction of pixels per square) at 0-based `iteration` of a budget of
 * `budget` iterations: p_init halved at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of 10,000,
 * rescaled to the budget.
 */
export function squareFraction(pInit: number, iteration: number, budget: number): number {
  const scaled = Math.floor((iteration / budget) * 10000);
  const halvings = HALVING_POINTS.filter((point) => scaled > point).length;
  return pInit / 2 ** halvings;
}

/** Side of the square covering a fraction p of a height x width image: round(sqrt(p*h*w)), within [1, min(h, w) - 1]. */
export function squareSide(p: number, height: number, width: number): number {
  const side = Math.round(Math.sqrt(p * height * width));
  return Math.max(1, Math.min(side, Math.min(height, width) - 1));
}

/**
 * Square attack (Andriushchenko et al. 2020), L-inf, score-based: from vertical stripes of +-epsilon,
 * repeatedly sets a random square (one random sign per channel) to +-epsilon and keeps the change only
 * if it lowers the margin z_y - max_{i != y} z_i; each example stops once misclassified. Uses the
 * model's outputs only, never its gradients.
 */
export async function squareAttack(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: SquareOptions,
): Promise<SquareResult> {
  const { epsilon, queries: budget = 5000, pInit = 0.05, restarts = 1, seed = 0 } = options;
  await checkBatch(x, y);
  checkEpsilon(epsilon);
  checkCount(budget, 'queries');
  checkCount(restarts, 'restarts');
  checkSeed(seed);
  if (!(pInit > 0 && pInit <= 1)) throw new ContractError('pInit', `must be in (0, 1], got ${pInit}`);

  const [n, height, width, channels] = x.shape;
  const pixels = height * width * channels;
  const [clean, labels] = await Promise.all([x.data(), y.data()]);
  const rng = new Rng(seed);
  const best = Float32Array.from(clean);
  const bestMargin = new Float32Array(n).fill(Infinity);
  const fooled = new Array<boolean>(n).fill(false);
  const used = new Array<number>(n).fill(0);
  let labelsChecked = false;

  /** Margins and fooled flags of `images` (rows `rows` of the batch), counting one query each. */
  const query = async (images: Float32Array, rows: number[]): Promise<{ margin: Float32Array; wrong: boolean[] }> => {
    const logits = tf.tidy(() => model(tf.tensor4d(images, [rows.length, height, width, channels])));
    try {
      if (!labelsChecked) {
        const ys = tf.tensor1d(
          rows.map((row) => labels[row] ?? 0),
          'int32',
        );
        try {
          await checkLogits(logits, ys);
        } finally {
          ys.dispose();
        }
        labelsChecked = true;
      }
      for (const row of rows) used[row] = (used[row] ?? 0) + 1;
      return margins(
        (await logits.data()) as Float32Array,
        logits.shape[1],
        rows.map((row) => labels[row] ?? 0),
      );
    } finally {
      logits.dispose();
    }
  };

  for (let restart = 0; restart < restarts; restart++) {
    const rows = fooled.flatMap((f, i) => (f ? [] : [i]));
    if (rows.length === 0) break;
    // Vertical stripes: one random sign per example, column and channel.
    const current = new Float32Array(rows.length * pixels);
    rows.forEach((row, k) => {
      for (let w = 0; w < width; w++) {
        for (let c = 0; c < channels; c++) {
          const delta = rng.sign() * epsilon;
          for (let h = 0; h < height; h++) {
            const at = (h * width + w) * channels + c;
            current[k * pixels + at] = clip01((clean[row * pixels + at] ?? 0) + delta);
          }
        }
      }
    });
    const start = await query(current, rows);
    const margin = start.margin;
    const wrong = start.wrong;

    for (let iteration = 0; iteration < budget - 1; iteration++) {
      const active = rows.flatMap((_, k) => (wrong[k] ? [] : [k]));
      if (active.length === 0) break;
      const side = squareSide(squareFraction(pInit, iteration, budget - 1), height, width);
      const candidates = new Float32Array(active.length * pixels);
      active.forEach((k, a) => {
        const row = rows[k] ?? 0;
        candidates.set(current.subarray(k * pixels, (k + 1) * pixels), a * pixels);
        const top = rng.nextInt(height - side + 1);
        const left = rng.nextInt(width - side + 1);
        // Resample the signs while clipping would leave the whole window as it is.
        for (let attempt = 0; attempt < 10; attempt++) {
          let changed = false;
          for (let c = 0; c < channels; c++) {
            const delta = rng.sign() * epsilon;
            for (let h = top; h < top + side; h++) {
              for (let w = left; w < left + side; w++) {
                const at = (h * width + w) * channels + c;
                const value = clip01((clean[row * pixels + at] ?? 0) + delta);
                if (Math.fround(value) !== current[k * pixels + at]) changed = true;
                candidates[a * pixels + at] = value;
              }
            }
          }
          if (changed) break;
        }
      });
      const result = await query(
        candidates,
        active.map((k) => rows[k] ?? 0),
      );
      active.forEach((k, a) => {
        const m = result.margin[a] ?? Infinity;
        const isWrong = result.wrong[a] ?? false;
        if (m < (margin[k] ?? Infinity) || (isWrong && !wrong[k])) {
          margin[k] = m;
          wrong[k] = isWrong;
          current.set(candidates.subarray(a * pixels, (a + 1) * pixels), k * pixels);
        }
      });
    }

    // Keep, per example, the better of this run and earlier ones.
    rows.forEach((row, k) => {
      if (wrong[k] || (margin[k] ?? Infinity) < (bestMargin[row] ?? Infinity)) {
        bestMargin[row] = margin[k] ?? Infinity;
        fooled[row] = wrong[k] ?? false;
        best.set(current.subarray(k * pixels, (k + 1) * pixels), row * pixels);
      }
    });
  }
  return { adversarial: tf.tensor4d(best, [n, height, width, channels]), success: fooled, queries: used };
}

/** Per row: margin z_y - max_{i != y} z_i and whether the (first) top class differs from y. */
function margins(logits: Float32Array, classes: number, labels: number[]): { margin: Float32Array; wrong: boolean[] } {
  const margin = new Float32Array(labels.length);
  const wrong: boolean[] = [];
  labels.forEach((label, i) => {
    let top = 0;
    let other = -Infinity;
    for (let c = 0; c < classes; c++) {
      const z = logits[i * classes + c] ?? -Infinity;
      if (z > (logits[i * classes + top] ?? -Infinity)) top = c;
      if (c !== label && z > other) other = z;
    }
    margin[i] = (logits[i * classes + label] ?? 0) - other;
    wrong.push(top !== label);
  });
  return { margin, wrong };
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
