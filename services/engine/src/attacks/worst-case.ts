import * as tf from '@tensorflow/tfjs-core';
import type { AttackResult } from './types.js';

/** Copy of `base` whose row indices[k] is replaced by row k of `rows`. */
export function replaceRows<T extends tf.Tensor>(base: T, rows: T, indices: readonly number[]): T {
  if (indices.length !== rows.shape[0])
    throw new Error(`replaceRows: ${indices.length} indices for ${rows.shape[0]} rows`);
  if (indices.length === 0) return tf.clone(base);
  const n = base.shape[0] ?? 0;
  const source = Array.from({ length: n }, (_, i) => i);
  indices.forEach((row, k) => (source[row] = n + k));
  return tf.tidy(() => tf.gather(tf.concat([base, rows], 0), tf.tensor1d(source, 'int32'))) as T;
}

/** Copy of `target` with rows `indices` taken from `source`, a tensor of the same shape. */
export function blendRows<T extends tf.Tensor>(target: T, source: T, indices: readonly number[]): T {
  const n = target.shape[0] ?? 0;
  const mask = new Uint8Array(n);
  for (const row of indices) mask[row] = 1;
  const maskShape = [n, ...target.shape.slice(1).map(() => 1)];
  return tf.tidy(() => tf.where(tf.tensor(mask, maskShape, 'bool'), source, target)) as T;
}

/** Rows `indices` of `t` (a copy of all of `t` when `indices` is every row in order). */
export function takeRows<T extends tf.Tensor>(t: T, indices: readonly number[]): T {
  const n = t.shape[0] ?? 0;
  if (indices.length === n && indices.every((row, k) => row === k)) return tf.clone(t);
  return tf.tidy(() => tf.gather(t, tf.tensor1d(Array.from(indices), 'int32'))) as T;
}

/**
 * Keeps, per example, the worst case an attack has found so far: the first point that fooled the
 * model, or else the point of highest attack loss. Starts from the clean input (loss -Infinity).
 */
export class WorstCaseTracker {
  private best: tf.Tensor4D;
  readonly loss: Float32Array;
  readonly fooled: boolean[];

  constructor(x: tf.Tensor4D) {
    this.best = tf.clone(x);
    this.loss = new Float32Array(x.shape[0]).fill(-Infinity);
    this.fooled = new Array<boolean>(x.shape[0]).fill(false);
  }

  /** Rows that no point has fooled yet. */
  remaining(): number[] {
    const rows: number[] = [];
    this.fooled.forEach((f, i) => {
      if (!f) rows.push(i);
    });
    return rows;
  }

  /** Offers candidate points for batch rows `rows` (default: all, in order), with their losses and fooled flags. */
  offer(points: tf.Tensor4D, loss: ArrayLike<number>, fooled: readonly boolean[], rows?: readonly number[]): void {
    const target = rows ?? Array.from({ length: points.shape[0] }, (_, k) => k);
    const picked: number[] = [];
    const pickedRows: number[] = [];
    target.forEach((row, k) => {
      if (this.fooled[row]) return;
      const lossK = loss[k] ?? -Infinity;
      if (fooled[k] || lossK > (this.loss[row] ?? -Infinity)) {
        picked.push(k);
        pickedRows.push(row);
        this.fooled[row] = fooled[k] ?? false;
        this.loss[row] = lossK;
      }
    });
    if (picked.length === 0) return;
    let next: tf.Tensor4D;
    if (points.shape[0] === this.best.shape[0] && target.every((row, k) => row === k)) {
      // Same layout as the batch: a masked select is cheaper than gathering.
      next = blendRows(this.best, points, pickedRows);
    } else {
      const chosen = takeRows(points, picked);
      next = replaceRows(this.best, chosen, pickedRows);
      chosen.dispose();
    }
    this.best.dispose();
    this.best = next;
  }

  /** Hands over the worst cases and the fooled flags; the tracker must not be used afterwards. */
  finish(): AttackResult {
    return { adversarial: this.best, success: [...this.fooled] };
  }

  /** Frees the held tensor (when the result is not wanted). */
  dispose(): void {
    this.best.dispose();
  }
}
