import * as tf from '@tensorflow/tfjs-core';
import { ATTACKS, ContractError, UNBOUNDED_ATTACKS, type AttackName } from '@lrnas/schema';
import { apgd } from './apgd.js';
import { apgdTargeted } from './apgd-targeted.js';
import { cwLinf } from './cw.js';
import { cwL2 } from './cw-l2.js';
import { fabTargeted } from './fab.js';
import { fgsm } from './fgsm.js';
import { misclassified, misclassifiedBy } from './gradient.js';
import { pgd } from './pgd.js';
import { deriveSeedFromParts } from '../random.js';
import { takeData } from '../read.js';
import { squareAttack } from './square.js';
import {
  checkBatch,
  checkCount,
  checkLogits,
  checkSeed,
  toLinfThreatModel,
  type AttackResult,
  type Classifier,
  type LinfThreatModel,
} from './types.js';
import { takeRows } from './worst-case.js';

/** Attack names: `@lrnas/schema`'s ATTACKS (a name added there must be handled here, or this fails to compile). */
export const SUITE_ATTACKS = ATTACKS;
export type SuiteAttackName = AttackName;

/**
 * One attack of a suite (a superset of `@lrnas/schema`'s AttackSpec); unset fields take the attack's
 * defaults. For 'square', `steps` is read as the query budget when `queries` is unset.
 */
export interface SuiteAttackSpec {
  name: SuiteAttackName;
  steps?: number;
  stepSize?: number;
  restarts?: number;
  kappa?: number;
  queries?: number;
  pInit?: number;
  rho?: number;
  alpha?: number;
  /** Target classes of 'apgd-t' and 'fab-t'. */
  targetClasses?: number;
  /** Weight of the misclassification term of 'cw-l2'. */
  c?: number;
}

/** An attack's settings with every default filled in, as reported with its results. */
export interface AttackSettings {
  name: SuiteAttackName;
  epsilon: number;
  steps?: number;
  stepSize?: number;
  restarts?: number;
  randomStart?: boolean;
  loss?: 'ce' | 'margin' | 'dlr' | 'dlr-targeted';
  kappa?: number;
  queries?: number;
  pInit?: number;
  rho?: number;
  alpha?: number;
  targetClasses?: number;
  c?: number;
  /** The norm that bounds the perturbation: 'linf' (within epsilon) or, for 'cw-l2', 'none' (epsilon unused). */
  bound: 'linf' | 'none';
}

/** Settings of a suite run. */
export interface SuiteOptions {
  /** Threat model; only L-inf is supported (e.g. `@lrnas/schema`'s ThreatModel with norm 'linf'). */
  threat: { norm: string; epsilon: number };
  attacks: SuiteAttackSpec[];
  /** Seed from which every attack's seed is derived (default 0). */
  seed?: number;
  /** Examples attacked at once (default: all). Results depend on it, since seeds are drawn per batch. */
  batchSize?: number;
  /**
   * Attack only examples that every earlier attack failed on (faster; AutoAttack-style). Per-attack
   * robust accuracies are then cumulative; the overall figure is the same worst case. Default false.
   */
  cascade?: boolean;
  /** Called after the clean pass and after each attack on each batch; units are example-attacks. */
  onProgress?: (done: number, total: number) => void;
  /** Stops the run between batches and attacks. */
  signal?: AbortSignal;
}

/** Results of one attack of a suite. */
export interface AttackReport {
  name: SuiteAttackName;
  settings: AttackSettings;
  /** Fraction of all examples classified correctly clean and under this attack. */
  robustAccuracy: number;
  /** Per example: correct clean and not fooled by this attack (false where not attacked because already lost). */
  robust: boolean[];
  /** Examples this attack ran on. */
  attacked: number;
  seconds: number;
}

/** Results of a suite run: robust accuracy per attack and overall (worst case over attacks, per example). */
export interface SuiteReport {
  threat: LinfThreatModel;
  seed: number;
  batchSize: number;
  cascade: boolean;
  examples: number;
  cleanAccuracy: number;
  /** Fraction of examples correct clean and robust to every attack bounded by the threat model (all but cw-l2). */
  robustAccuracy: number;
  cleanCorrect: boolean[];
  /** Per example: correct clean and every attack failed. */
  robust: boolean[];
  attacks: AttackReport[];
}

/** Fills in and checks an attack's settings; `field` names the spec in errors. */
export function resolveAttackSettings(spec: SuiteAttackSpec, epsilon: number, field = 'attack'): AttackSettings {
  if (!(SUITE_ATTACKS as readonly string[]).includes(spec.name)) {
    throw new ContractError(
      `${field}.name`,
      `must be one of ${SUITE_ATTACKS.join(', ')}, got ${JSON.stringify(spec.name)}`,
    );
  }
  const positive = (value: number | undefined, key: string): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new ContractError(`${field}.${key}`, `must be a positive number, got ${value}`);
  };
  const count = (value: number | undefined, key: string): void => {
    if (value !== undefined) checkCount(value, `${field}.${key}`);
  };
  count(spec.steps, 'steps');
  count(spec.restarts, 'restarts');
  count(spec.queries, 'queries');
  count(spec.targetClasses, 'targetClasses');
  positive(spec.c, 'c');
  positive(spec.stepSize, 'stepSize');
  positive(spec.pInit, 'pInit');
  positive(spec.rho, 'rho');
  positive(spec.alpha, 'alpha');
  if (spec.kappa !== undefined && !(spec.kappa >= 0))
    throw new ContractError(`${field}.kappa`, `must be >= 0, got ${spec.kappa}`);
  const settings = defaultsOf(spec, epsilon);
  return { ...settings, bound: UNBOUNDED_ATTACKS.includes(spec.name) ? 'none' : 'linf' };
}

/** An attack's settings with its defaults, checked fields taken from `spec`. */
function defaultsOf(spec: SuiteAttackSpec, epsilon: number): Omit<AttackSettings, 'bound'> {
  const restarts = spec.restarts ?? 1;
  switch (spec.name) {
    case 'fgsm':
      return { name: 'fgsm', epsilon, stepSize: spec.stepSize ?? epsilon, randomStart: false, loss: 'ce' };
    case 'pgd':
      return {
        name: 'pgd',
        epsilon,
        steps: spec.steps ?? 20,
        stepSize: spec.stepSize ?? epsilon / 4,
        restarts,
        randomStart: true,
        loss: 'ce',
      };
    case 'cw':
      return {
        name: 'cw',
        epsilon,
        steps: spec.steps ?? 100,
        stepSize: spec.stepSize ?? epsilon / 4,
        restarts,
        randomStart: true,
        loss: 'margin',
        kappa: spec.kappa ?? 0,
      };
    case 'cw-l2':
      // torchattacks' CW as the released code calls it: c 0.5, kappa 0, Adam at 0.01; 100 steps (issue 15).
      return {
        name: 'cw-l2',
        epsilon,
        steps: spec.steps ?? 100,
        stepSize: spec.stepSize ?? 0.01,
        c: spec.c ?? 0.5,
        kappa: spec.kappa ?? 0,
        loss: 'margin',
      };
    case 'apgd-t':
      return {
        name: 'apgd-t',
        epsilon,
        steps: spec.steps ?? 100,
        restarts,
        randomStart: true,
        loss: 'dlr-targeted',
        targetClasses: spec.targetClasses ?? 9,
        rho: spec.rho ?? 0.75,
        alpha: spec.alpha ?? 0.75,
      };
    case 'fab-t':
      return {
        name: 'fab-t',
        epsilon,
        steps: spec.steps ?? 100,
        restarts,
        targetClasses: spec.targetClasses ?? 9,
      };
    case 'apgd-ce':
    case 'apgd-dlr':
      return {
        name: spec.name,
        epsilon,
        steps: spec.steps ?? 100,
        restarts,
        randomStart: true,
        loss: spec.name === 'apgd-ce' ? 'ce' : 'dlr',
        rho: spec.rho ?? 0.75,
        alpha: spec.alpha ?? 0.75,
      };
    case 'square':
      return {
        name: 'square',
        epsilon,
        queries: spec.queries ?? spec.steps ?? 5000,
        restarts,
        pInit: spec.pInit ?? 0.05,
        loss: 'margin',
      };
  }
}

/** Runs one attack with resolved settings; `success` is the attack's own verdict. The caller disposes `adversarial`. */
export async function runAttack(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  settings: AttackSettings,
  seed: number,
): Promise<AttackResult> {
  const { epsilon } = settings;
  switch (settings.name) {
    case 'fgsm': {
      const adversarial = await fgsm(model, x, y, { epsilon, stepSize: settings.stepSize });
      try {
        return { adversarial, success: await misclassifiedBy(model, adversarial, y) };
      } catch (error) {
        adversarial.dispose();
        throw error;
      }
    }
    case 'pgd':
      return pgd(model, x, y, {
        epsilon,
        steps: settings.steps,
        stepSize: settings.stepSize,
        restarts: settings.restarts,
        seed,
        returnSuccess: true,
      });
    case 'cw':
      return cwLinf(model, x, y, {
        epsilon,
        steps: settings.steps,
        stepSize: settings.stepSize,
        restarts: settings.restarts,
        kappa: settings.kappa,
        seed,
      });
    case 'apgd-ce':
    case 'apgd-dlr':
      return apgd(model, x, y, {
        epsilon,
        steps: settings.steps,
        restarts: settings.restarts,
        loss: settings.name === 'apgd-ce' ? 'ce' : 'dlr',
        rho: settings.rho,
        alpha: settings.alpha,
        seed,
      });
    case 'cw-l2':
      return cwL2(model, x, y, {
        c: settings.c,
        kappa: settings.kappa,
        steps: settings.steps,
        learningRate: settings.stepSize,
      });
    case 'apgd-t':
      return apgdTargeted(model, x, y, {
        epsilon,
        steps: settings.steps,
        restarts: settings.restarts,
        targetClasses: settings.targetClasses,
        rho: settings.rho,
        alpha: settings.alpha,
        seed,
      });
    case 'fab-t':
      return fabTargeted(model, x, y, {
        epsilon,
        steps: settings.steps,
        restarts: settings.restarts,
        targetClasses: settings.targetClasses,
        seed,
      });
    case 'square':
      return squareAttack(model, x, y, {
        epsilon,
        queries: settings.queries,
        pInit: settings.pInit,
        restarts: settings.restarts,
        seed,
      });
  }
}

/**
 * The seed the suite gives attack `attackIndex` on batch `batchIndex`; 31 bits, so it is itself a valid job seed
 * and one attack of a suite can be rerun alone.
 */
export function suiteAttackSeed(seed: number, attackIndex: number, batchIndex: number): number {
  return deriveSeedFromParts(seed, attackIndex, batchIndex) & 0x7fffffff;
}

/**
 * Runs several attacks on (x, y) and reports clean accuracy, robust accuracy per attack and overall:
 * an example counts as robust only if it is classified correctly clean and every attack failed on it.
 * Success is judged by a fresh forward pass on each adversarial batch, which is also checked to lie
 * within epsilon of the input and in [0, 1].
 */
export async function runSuite(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: SuiteOptions,
): Promise<SuiteReport> {
  const threat = toLinfThreatModel(options.threat);
  const seed = options.seed ?? 0;
  const cascade = options.cascade ?? false;
  checkSeed(seed);
  await checkBatch(x, y);
  if (options.attacks.length === 0) throw new ContractError('attacks', 'must name at least one attack');
  const settings = options.attacks.map((spec, i) => resolveAttackSettings(spec, threat.epsilon, `attacks[${i}]`));
  const examples = x.shape[0];
  const batchSize = options.batchSize ?? Math.max(examples, 1);
  checkCount(batchSize, 'batchSize');

  const cleanCorrect = new Array<boolean>(examples).fill(false);
  const perAttack = settings.map(() => new Array<boolean>(examples).fill(false));
  const attacked = settings.map(() => 0);
  const seconds = settings.map(() => 0);
  const total = examples * (settings.length + 1);
  let done = 0;
  const progress = async (units: number): Promise<void> => {
    done += units;
    options.onProgress?.(done, total);
    // Let timers and I/O (heartbeats, cancellation) run between units of work.
    await new Promise<void>((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
  };
  options.signal?.throwIfAborted();

  for (let batch = 0, start = 0; start < examples; batch++, start += batchSize) {
    const size = Math.min(batchSize, examples - start);
    const rows = Array.from({ length: size }, (_, k) => start + k);
    const xb = takeRows(x, rows);
    const yb = takeRows(y, rows);
    try {
      const logits = tf.tidy(() => model(xb));
      try {
        await checkLogits(logits, yb);
        (await misclassified(logits, yb)).forEach((wrong, k) => (cleanCorrect[start + k] = !wrong));
      } finally {
        logits.dispose();
      }
      await progress(size);

      const stillRobust = rows.map((row) => cleanCorrect[row] ?? false);
      for (let a = 0; a < settings.length; a++) {
        const targets = rows.flatMap((row, k) => ((cascade ? stillRobust[k] : cleanCorrect[row]) ? [k] : []));
        if (targets.length > 0) {
          const began = performance.now();
          const survived = await attackRows(model, xb, yb, targets, settings[a]!, suiteAttackSeed(seed, a, batch));
          seconds[a] = (seconds[a] ?? 0) + (performance.now() - began) / 1000;
          attacked[a] = (attacked[a] ?? 0) + targets.length;
          const bounded = settings[a]!.bound !== 'none';
          targets.forEach((k, t) => {
            const robust = survived[t] ?? false;
            perAttack[a]![start + k] = robust;
            // An unbounded attack's success is no loss under the threat model: later attacks still run on it.
            if (!robust && bounded) stillRobust[k] = false;
          });
        }
        await progress(size);
      }
    } finally {
      tf.dispose([xb, yb]);
    }
  }

  // The worst case under the threat model: attacks no epsilon bounds (cw-l2) are reported but not counted.
  const robust = cleanCorrect.map((ok, i) => ok && perAttack.every((r, a) => settings[a]!.bound === 'none' || r[i]));
  const share = (flags: boolean[]): number => (examples === 0 ? 0 : flags.filter(Boolean).length / examples);
  return {
    threat,
    seed,
    batchSize,
    cascade,
    examples,
    cleanAccuracy: share(cleanCorrect),
    robustAccuracy: share(robust),
    cleanCorrect,
    robust,
    attacks: settings.map((s, a) => ({
      name: s.name,
      settings: s,
      robustAccuracy: share(perAttack[a]!),
      robust: perAttack[a]!,
      attacked: attacked[a] ?? 0,
      seconds: seconds[a] ?? 0,
    })),
  };
}

/** Attacks rows `targets` of a batch and returns, per target, whether the model still classifies it correctly. */
async function attackRows(
  model: Classifier,
  xb: tf.Tensor4D,
  yb: tf.Tensor1D,
  targets: number[],
  settings: AttackSettings,
  seed: number,
): Promise<boolean[]> {
  const xs = takeRows(xb, targets);
  const ys = takeRows(yb, targets);
  let adversarial: tf.Tensor4D | undefined;
  try {
    adversarial = (await runAttack(model, xs, ys, settings, seed)).adversarial;
    await checkWithinBall(adversarial, xs, settings);
    return (await misclassifiedBy(model, adversarial, ys)).map((wrong) => !wrong);
  } finally {
    tf.dispose([xs, ys]);
    adversarial?.dispose();
  }
}

/** Guards the leaderboard against an attack bug: adversarial examples must respect the attack's bound and the box. */
async function checkWithinBall(adversarial: tf.Tensor4D, x: tf.Tensor4D, settings: AttackSettings): Promise<void> {
  const [distance = 0, lo = 0, hi = 0] = await takeData(
    tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(adversarial, x))), tf.min(adversarial), tf.max(adversarial)])),
  );
  const outside = settings.bound === 'linf' && distance > settings.epsilon + 1e-6;
  if (outside || lo < 0 || hi > 1) {
    throw new Error(
      `attack ${settings.name} left the threat model: L-inf distance ${distance}, pixels in [${lo}, ${hi}]`,
    );
  }
}
