import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { apgdCheckpoints, shouldHalve } from './apgd-schedule.js';
import { lossAndGradient, lossOnly, misclassified, preflight } from './gradient.js';
import { projectLinf, randomLinfStart, signStep } from './linf.js';
import { crossEntropyLoss, dlrLoss, targetedDlrLoss, type AttackLoss } from './losses.js';
import { Rng } from '../random.js';
import { checkBatch, checkCount, checkEpsilon, checkSeed, type AttackResult, type Classifier } from './types.js';
import { blendRows, takeRows, WorstCaseTracker } from './worst-case.js';

/** Losses APGD ascends. */
export type ApgdLoss = 'ce' | 'dlr' | 'dlr-targeted';

/** Settings of APGD. */
export interface ApgdOptions {
  epsilon: number;
  /** Iterations N_iter (default 100). */
  steps?: number;
  /** 'ce' for APGD-CE, 'dlr' for APGD-DLR, 'dlr-targeted' for one target class of APGD-T (default 'ce'). */
  loss?: ApgdLoss;
  /** Target class per example; required by (and only read with) 'dlr-targeted'. */
  targets?: tf.Tensor1D;
  /** Independent runs; later ones attack only the examples not yet fooled (default 1). */
  restarts?: number;
  /** Halve the step when fewer than this fraction of steps since the last checkpoint raised the loss (default 0.75). */
  rho?: number;
  /** Momentum weight alpha (default 0.75). */
  alpha?: number;
  /** Start uniformly in the epsilon-ball (default true) rather than at the input. */
  randomStart?: boolean;
  /** Seed of the random starts (default 0). */
  seed?: number;
}

/**
 * Auto-PGD (Croce & Hein 2020, Algorithm 1) under L-inf: step size 2*epsilon halved at checkpoints
 * (too few successful steps, or no halving and no progress since the last checkpoint), restarting
 * from the best point when halving, with momentum. Returns per example the worst case found.
 */
export async function apgd(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: ApgdOptions,
): Promise<AttackResult> {
  const { epsilon, steps = 100, restarts = 1, rho = 0.75, alpha = 0.75, randomStart = true, seed = 0 } = options;
  const lossName = options.loss ?? 'ce';
  await checkBatch(x, y);
  checkEpsilon(epsilon);
  checkCount(steps, 'steps');
  checkCount(restarts, 'restarts');
  checkSeed(seed);
  if (!(rho > 0 && rho <= 1)) throw new ContractError('rho', `must be in (0, 1], got ${rho}`);
  if (!(alpha > 0 && alpha <= 1)) throw new ContractError('alpha', `must be in (0, 1], got ${alpha}`);
  const run: ApgdRun = {
    model,
    lossFor: apgdLossFor(lossName, options.targets, y),
    targets: options.targets,
    epsilon,
    steps,
    rho,
    alpha,
    randomStart,
    rng: new Rng(seed),
    checkpoints: apgdCheckpoints(steps),
  };
  if (x.shape[0] > 0) {
    const firstTarget = options.targets && tf.slice(options.targets, 0, 1);
    try {
      await preflight(model, run.lossFor(firstTarget), x, y);
    } finally {
      firstTarget?.dispose();
    }
  }
  const tracker = new WorstCaseTracker(x);
  try {
    for (let r = 0; r < restarts; r++) {
      const rows = tracker.remaining();
      if (rows.length === 0) break;
      await apgdRun(run, x, y, rows, tracker);
    }
  } catch (error) {
    tracker.dispose();
    throw error;
  }
  return tracker.finish();
}

/** APGD with the cross-entropy loss. */
export function apgdCe(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: Omit<ApgdOptions, 'loss'>,
): Promise<AttackResult> {
  return apgd(model, x, y, { ...options, loss: 'ce' });
}

/** APGD with the DLR loss (needs at least 3 classes). */
export function apgdDlr(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: Omit<ApgdOptions, 'loss'>,
): Promise<AttackResult> {
  return apgd(model, x, y, { ...options, loss: 'dlr' });
}

/**
 * The loss of a run on the batch rows whose labels are `ys` (and targets `targets`, taken from the same rows):
 * the targeted loss needs those rows' targets, the others are one function for every subset.
 */
type LossForRows = (targets: tf.Tensor1D | undefined) => AttackLoss;

/** Checks the loss name and that targets come with (and only with) 'dlr-targeted'. */
function apgdLossFor(name: ApgdLoss, targets: tf.Tensor1D | undefined, y: tf.Tensor1D): LossForRows {
  if (name === 'ce' || name === 'dlr') {
    if (targets !== undefined) throw new ContractError('targets', `are read only with loss 'dlr-targeted'`);
    const loss = name === 'ce' ? crossEntropyLoss : dlrLoss;
    return () => loss;
  }
  if (name !== 'dlr-targeted')
    throw new ContractError('loss', `must be 'ce', 'dlr' or 'dlr-targeted', got ${JSON.stringify(name)}`);
  if (targets === undefined) throw new ContractError('targets', `are required with loss 'dlr-targeted'`);
  if (targets.rank !== 1 || targets.shape[0] !== y.shape[0] || targets.dtype !== 'int32')
    throw new ContractError(
      'targets',
      `must be int32 [${y.shape[0]}], got ${targets.dtype} [${targets.shape.join(', ')}]`,
    );
  return (rowTargets) => targetedDlrLoss(rowTargets!);
}

interface ApgdRun {
  model: Classifier;
  lossFor: LossForRows;
  targets: tf.Tensor1D | undefined;
  epsilon: number;
  steps: number;
  rho: number;
  alpha: number;
  randomStart: boolean;
  rng: Rng;
  checkpoints: number[];
}

/** One APGD run on batch rows `rows`; every evaluated iterate is offered to the tracker. */
async function apgdRun(
  s: ApgdRun,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  rows: number[],
  tracker: WorstCaseTracker,
): Promise<void> {
  const n = rows.length;
  const xs = takeRows(x, rows);
  const ys = takeRows(y, rows);
  const ts = s.targets && takeRows(s.targets, rows);
  const runLoss = s.lossFor(ts);
  const held: Record<'cur' | 'prev' | 'grad' | 'best' | 'bestGrad', tf.Tensor4D | undefined> = {
    cur: undefined,
    prev: undefined,
    grad: undefined,
    best: undefined,
    bestGrad: undefined,
  };
  /** Replaces a held tensor, disposing the old one unless it is still held elsewhere. */
  const hold = (key: keyof typeof held, t: tf.Tensor4D): void => {
    const old = held[key];
    held[key] = t;
    if (old && !Object.values(held).includes(old)) old.dispose();
  };
  try {
    hold('cur', s.randomStart ? randomLinfStart(xs, s.epsilon, s.rng) : tf.clone(xs));
    const first = lossAndGradient(s.model, runLoss, held.cur!, ys);
    hold('grad', first.grad);
    const [firstLoss, firstFooled] = await readEvaluation(first, ys);
    let curLoss = firstLoss;
    tracker.offer(held.cur!, curLoss, firstFooled, rows);
    hold('best', tf.clone(held.cur!));
    hold('bestGrad', tf.clone(first.grad));

    const eta = new Float32Array(n).fill(2 * s.epsilon);
    const bestLoss = Float32Array.from(curLoss);
    let bestLossAtCheck = Float32Array.from(bestLoss);
    let halvedAtCheck = new Array<boolean>(n).fill(false);
    const increases = new Int32Array(n);
    const isCheckpoint = new Set(s.checkpoints.slice(1));
    let lastCheckpoint = 0;

    for (let k = 0; k < s.steps; k++) {
      const final = k === s.steps - 1;
      // z = P(x_k + eta * sign(grad)); x_{k+1} = P(x_k + a (z - x_k) + (1 - a)(x_k - x_{k-1})), no momentum on the first step.
      const a = k === 0 ? 1 : s.alpha;
      const next = tf.tidy(() => {
        const cur = held.cur!;
        const z = signStep(cur, held.grad!, tf.tensor4d(eta, [n, 1, 1, 1]), xs, s.epsilon);
        const momentum = k === 0 ? tf.zerosLike(cur) : tf.mul(tf.sub(cur, held.prev!), 1 - a);
        return projectLinf(tf.add(tf.add(cur, tf.mul(tf.sub(z, cur), a)), momentum), xs, s.epsilon);
      });
      hold('prev', held.cur!);
      hold('cur', next);

      const evaluated = final
        ? { ...lossOnly(s.model, runLoss, next, ys), grad: undefined }
        : lossAndGradient(s.model, runLoss, next, ys);
      if (evaluated.grad) hold('grad', evaluated.grad);
      const [loss, fooled] = await readEvaluation(evaluated, ys);
      tracker.offer(next, loss, fooled, rows);
      if (final) break;

      const improved: number[] = [];
      for (let i = 0; i < n; i++) {
        if ((loss[i] ?? -Infinity) > (curLoss[i] ?? -Infinity)) increases[i] = (increases[i] ?? 0) + 1;
        if ((loss[i] ?? -Infinity) > (bestLoss[i] ?? -Infinity)) {
          bestLoss[i] = loss[i] ?? -Infinity;
          improved.push(i);
        }
      }
      if (improved.length > 0) {
        hold('best', blendRows(held.best!, next, improved));
        hold('bestGrad', blendRows(held.bestGrad!, held.grad!, improved));
      }
      curLoss = loss;

      const w = k + 1;
      if (!isCheckpoint.has(w)) continue;
      const span = w - lastCheckpoint;
      const halve: number[] = [];
      const halved = new Array<boolean>(n).fill(false);
      for (let i = 0; i < n; i++) {
        const state = {
          increases: increases[i] ?? 0,
          span,
          halvedBefore: halvedAtCheck[i] ?? false,
          bestLoss: bestLoss[i] ?? -Infinity,
          bestLossBefore: bestLossAtCheck[i] ?? -Infinity,
        };
        if (shouldHalve(state, s.rho)) {
          halve.push(i);
          halved[i] = true;
          eta[i] = (eta[i] ?? 0) / 2;
          // The next step starts from the best point, so its loss is the reference for "increase".
          curLoss[i] = bestLoss[i] ?? -Infinity;
        }
      }
      if (halve.length > 0) {
        hold('cur', blendRows(held.cur!, held.best!, halve));
        hold('grad', blendRows(held.grad!, held.bestGrad!, halve));
      }
      halvedAtCheck = halved;
      bestLossAtCheck = Float32Array.from(bestLoss);
      increases.fill(0);
      lastCheckpoint = w;
    }
  } finally {
    const distinct = new Set(Object.values(held).filter((t): t is tf.Tensor4D => t !== undefined));
    tf.dispose([xs, ys, ...(ts ? [ts] : []), ...distinct]);
  }
}

/** An iterate's per-example loss and fooled flags, read asynchronously; frees its logits and loss. */
async function readEvaluation(
  evaluated: { logits: tf.Tensor2D; loss: tf.Tensor1D },
  ys: tf.Tensor1D,
): Promise<[Float32Array, boolean[]]> {
  try {
    const [loss, fooled] = await Promise.all([evaluated.loss.data(), misclassified(evaluated.logits, ys)]);
    return [Float32Array.from(loss), fooled];
  } finally {
    tf.dispose([evaluated.logits, evaluated.loss]);
  }
}
