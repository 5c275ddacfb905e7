import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { misclassified } from './gradient.js';
import { checkCount, type AttackResult, type Classifier } from './types.js';
import { replaceRows, takeRows } from './worst-case.js';

/**
 * Per example, the class of its `rank`-th largest logit (rank 2: the runner-up; ties to the lower class).
 * AutoAttack's targeted attacks take their targets this way from the clean logits, so that a correctly
 * classified example is aimed at its 9 other classes, most likely first.
 */
export async function targetsByRank(logits: tf.Tensor2D, rank: number): Promise<number[]> {
  const [n, classes] = logits.shape;
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= classes))
    throw new ContractError('rank', `must be an integer in [1, ${classes}], got ${rank}`);
  const values = await logits.data();
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from(values.subarray(i * classes, (i + 1) * classes));
    const order = row.map((_, c) => c).sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
    return order[rank - 1] as number;
  });
}

/** One targeted run: attack rows (xs, ys) towards `targets`; `round` numbers the target class (0 = runner-up). */
export type TargetedRun = (
  xs: tf.Tensor4D,
  ys: tf.Tensor1D,
  targets: tf.Tensor1D,
  round: number,
) => Promise<AttackResult>;

/**
 * AutoAttack's loop of a targeted attack over `targetClasses` target classes (ranks 2 .. targetClasses + 1 of
 * the clean logits, capped at the classes there are): each round attacks only the examples no earlier round
 * fooled (and that the model classifies correctly clean). Returns per example the first fooling point, else
 * the input itself; `success` is whether the model misclassifies what is returned.
 */
export async function overTargetClasses(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  targetClasses: number,
  run: TargetedRun,
): Promise<AttackResult> {
  checkCount(targetClasses, 'targetClasses');
  const logits = tf.tidy(() => model(x));
  let best = tf.clone(x);
  try {
    const classes = logits.shape[1];
    const success = await misclassified(logits, y);
    const rounds = Math.min(targetClasses, classes - 1);
    for (let round = 0; round < rounds; round++) {
      const rows = success.flatMap((fooled, i) => (fooled ? [] : [i]));
      if (rows.length === 0) break;
      const all = await targetsByRank(logits, round + 2);
      const xs = takeRows(x, rows);
      const ys = takeRows(y, rows);
      const ts = tf.tensor1d(
        rows.map((r) => all[r] as number),
        'int32',
      );
      try {
        const result = await run(xs, ys, ts, round);
        try {
          const fooledAt = result.success.flatMap((fooled, k) => (fooled ? [k] : []));
          if (fooledAt.length > 0) {
            const points = takeRows(result.adversarial, fooledAt);
            const next = replaceRows(
              best,
              points,
              fooledAt.map((k) => rows[k] as number),
            );
            points.dispose();
            best.dispose();
            best = next;
            for (const k of fooledAt) success[rows[k] as number] = true;
          }
        } finally {
          result.adversarial.dispose();
        }
      } finally {
        tf.dispose([xs, ys, ts]);
      }
    }
    return { adversarial: best, success };
  } catch (error) {
    best.dispose();
    throw error;
  } finally {
    logits.dispose();
  }
}
