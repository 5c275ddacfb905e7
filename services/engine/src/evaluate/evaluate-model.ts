import * as tf from '@tensorflow/tfjs-core';
import { ATTACK_SUITES, ATTACKS, ContractError, type AttackSpec, type AttackSuiteName } from '@lrnas/schema';
import { runSuite, type AttackSettings, type SuiteAttackSpec } from '../attacks/index.js';
import { activeBackend, type BackendInfo, type GpuAdapter } from '../backend.js';
import type { Dataset } from '../data/dataset.js';
import type { EvalNetwork } from '../nn/network.js';
import { ENGINE_VERSION } from '../version.js';
import { inferenceClassifier } from '../train/objectives.js';

/** What to evaluate, in the shape of `@lrnas/schema`'s EvaluateConfig (plus a suite's extra knobs). */
export interface EvaluateSettings {
  threatModel: { norm: string; epsilon: number };
  attacks: Array<AttackSpec | SuiteAttackSpec>;
  /** Use the first `examples` images of `data` (default all). */
  examples?: number;
  /** Examples attacked at once (default 256). Results depend on it: seeds are drawn per batch. */
  batchSize?: number;
  /** Attack only the examples every earlier attack failed on, as AutoAttack does (default false). */
  cascade?: boolean;
}

/** Inputs of an evaluation. */
export interface EvaluateOptions extends EvaluateSettings {
  network: EvalNetwork;
  data: Dataset;
  seed: number;
  /** The backend to report; default: a description of TF.js's active backend. */
  backend?: BackendInfo;
  /** Called as examples x attacks complete. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** One attack's line of the report. */
export interface AttackResultSummary {
  name: string;
  /** Settings as used: epsilon, steps, step size, restarts, loss, queries... */
  settings: AttackSettings;
  /** Fraction of all evaluated examples classified correctly clean and under this attack. */
  robustAccuracy: number;
  /** Examples this attack ran on (those classified correctly clean). */
  attacked: number;
  seconds: number;
}

/** An evaluation report (JSON-serialisable). */
export interface EvaluationReport {
  format: 'lrnas-evaluation';
  engineVersion: string;
  backend: {
    name: string;
    tfBackend: string;
    device: string;
    versions: Record<string, string>;
    /** The WebGPU adapter, on webgpu. */
    adapter?: GpuAdapter;
  };
  createdAt: string;
  data: { name: string; split: string; examples: number };
  model: { genotype: EvalNetwork['genotype']; network: EvalNetwork['shape']; parameters: number };
  threatModel: { norm: 'linf'; epsilon: number };
  seed: number;
  batchSize: number;
  /** Whether each attack ran only on the examples every earlier one failed on (AutoAttack-style). */
  cascade: boolean;
  cleanAccuracy: number;
  /** Worst case over the attacks bounded by the threat model (all but cw-l2), per example: correct clean and every one failed. */
  robustAccuracy: number;
  attacks: AttackResultSummary[];
  seconds: number;
}

/**
 * Clean accuracy and accuracy under each attack of a suite (via `runSuite`, the network in inference
 * mode) on the first `examples` images of `data`, with everything needed to reproduce the figures:
 * threat model, each attack's settings as used, examples, seed, backend and engine version.
 */
export async function evaluateModel(options: EvaluateOptions): Promise<EvaluationReport> {
  const began = performance.now();
  const { network, data, seed } = options;
  const examples = Math.min(options.examples ?? data.size, data.size);
  if (!(Number.isSafeInteger(examples) && examples > 0))
    throw new ContractError('examples', `must be a positive integer, got ${options.examples}`);
  const batchSize = options.batchSize ?? 256;
  if (data.channels !== network.shape.inputChannels)
    throw new ContractError(
      'data',
      `${data.name} images have ${data.channels} channels, the network takes ${network.shape.inputChannels}`,
    );
  if (data.classes !== network.shape.classes)
    throw new ContractError('data', `${data.name} has ${data.classes} classes, the network ${network.shape.classes}`);
  const { x, y } = data.toTensors(0, examples);
  try {
    const suite = await runSuite(inferenceClassifier(network), x, y, {
      threat: options.threatModel,
      attacks: options.attacks,
      seed,
      batchSize,
      cascade: options.cascade ?? false,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    return {
      format: 'lrnas-evaluation',
      engineVersion: ENGINE_VERSION,
      backend: options.backend ?? describeActiveBackend(),
      createdAt: new Date().toISOString(),
      data: { name: data.name, split: data.split, examples },
      model: { genotype: network.genotype, network: { ...network.shape }, parameters: network.parameterCount() },
      threatModel: suite.threat,
      seed: suite.seed,
      batchSize: suite.batchSize,
      cascade: suite.cascade,
      cleanAccuracy: suite.cleanAccuracy,
      robustAccuracy: suite.robustAccuracy,
      attacks: suite.attacks.map((a) => ({
        name: a.name,
        settings: a.settings,
        robustAccuracy: a.robustAccuracy,
        attacked: a.attacked,
        seconds: a.seconds,
      })),
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    tf.dispose([x, y]);
  }
}

/** TF.js's active backend described without switching backends (initBackend() gives the full story). */
export function describeActiveBackend(): EvaluationReport['backend'] {
  const name = tf.getBackend();
  const active = activeBackend();
  if (active?.tfBackend === name) return active;
  const device =
    name === 'wasm'
      ? `CPU (wasm${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ', SIMD' : ''})`
      : name === 'cpu'
        ? 'CPU (pure JavaScript)'
        : name;
  return { name, tfBackend: name, device, versions: { 'tfjs-core': tf.version_core } };
}

/** An attack list as parsed from text: the attacks, and whether a named suite asked for AutoAttack's cascade. */
export interface ParsedAttackList {
  attacks: AttackSpec[];
  cascade: boolean;
}

/**
 * Parses an attack list such as `fgsm,pgd:20,cw:100,apgd-ce,apgd-dlr,square:1000`: each item is a
 * name with an optional step count (queries for square), or a suite's name (`standard`: AutoAttack's
 * APGD-CE, APGD-T, FAB-T and Square) which stands for its attacks and makes the list run AutoAttack-style,
 * each attack only on the examples still robust. Throws a ContractError naming the bad item.
 */
export function parseAttackSelection(text: string): ParsedAttackList {
  const known: readonly string[] = ATTACKS;
  const suites = Object.keys(ATTACK_SUITES);
  const items = text.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === ''))
    throw new ContractError('attacks', `must be a comma-separated list of attacks, got ${JSON.stringify(text)}`);
  let cascade = false;
  const attacks = items.flatMap((item): AttackSpec[] => {
    if (suites.includes(item)) {
      cascade = true;
      return ATTACK_SUITES[item as AttackSuiteName].map((name) => ({ name }));
    }
    const match = /^([a-z0-9-]+)(?::(\d+))?$/.exec(item);
    const name = match?.[1];
    if (!match || !name || !known.includes(name))
      throw new ContractError(
        'attacks',
        `unknown attack ${JSON.stringify(item)} (attacks: ${known.join(', ')}, optionally name:steps; ` +
          `suites: ${suites.join(', ')})`,
      );
    if (match[2] === undefined) return [{ name } as AttackSpec];
    const steps = Number(match[2]);
    if (!(Number.isSafeInteger(steps) && steps > 0))
      throw new ContractError('attacks', `${JSON.stringify(item)}: the step count must be a positive integer`);
    if (name === 'fgsm') throw new ContractError('attacks', 'fgsm takes no step count (it is one step)');
    return [{ name, steps } as AttackSpec];
  });
  return { attacks, cascade };
}
