import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError, parseGenotype, type Genotype } from '@lrnas/schema';
import { EvalNetwork } from '../nn/network.js';
import { ENGINE_VERSION } from '../version.js';
import { checkNetworkSpec, type NetworkSpec } from './checkpoint.js';
import { ModelFileError, readFileChecked, writeFileAtomic } from './checked-files.js';
import type { TrainSettings } from '../train/settings.js';
import type { DataFingerprint } from '../train/state.js';

/** `format` of an exported model's model.json. */
export const MODEL_FORMAT = 'lrnas-eval-network';
/** File names inside an export folder. */
export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** What model.json's `userDefinedMetadata` holds. */
export interface ModelMetadata {
  genotype: Genotype;
  /** Channels, layers, classes, input channels, auxiliary head, and the image size trained on. */
  network: NetworkSpec;
  engineVersion: string;
  /** Trainable scalars (auxiliary head included when present). */
  parameters: number;
  /** Settings of the run that trained the weights, when known. */
  training?: TrainSettings;
  seed?: number;
  data?: DataFingerprint;
}

/** One entry of TF.js's weights manifest. */
interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** model.json as written (TF.js's model artifacts JSON without a topology). */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  generatedBy: string;
  convertedBy: null;
  weightsManifest: Array<{ paths: string[]; weights: WeightEntry[] }>;
  userDefinedMetadata: ModelMetadata;
}

/** Information to store with exported weights besides the network itself. */
export interface ExportInfo {
  imageHeight: number;
  imageWidth: number;
  training?: TrainSettings;
  seed?: number;
  data?: DataFingerprint;
}

/**
 * Writes a network in the TF.js format: `weights.bin` (every parameter and BN buffer, float32, as
 * `tf.io.encodeWeights` lays them out) and `model.json` with TF.js's `weightsManifest` and the genotype,
 * geometry, engine version and training settings in `userDefinedMetadata`. Each file is written
 * atomically, model.json last. Returns the two paths and the bytes of weights.
 */
export async function exportModel(
  dir: string,
  network: EvalNetwork,
  info: ExportInfo,
): Promise<{ modelJson: string; weights: string; bytes: number }> {
  const named = network.namedVariables().map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const metadata: ModelMetadata = {
    genotype: network.genotype,
    network: checkNetworkSpec(
      {
        ...network.shape,
        auxiliary: network.auxiliaryHead !== undefined,
        imageHeight: info.imageHeight,
        imageWidth: info.imageWidth,
      },
      'network',
    ),
    engineVersion: ENGINE_VERSION,
    parameters: network.parameterCount(),
    ...(info.training ? { training: info.training } : {}),
    ...(info.seed !== undefined ? { seed: info.seed } : {}),
    ...(info.data ? { data: info.data } : {}),
  };
  const json: ModelJson = {
    format: MODEL_FORMAT,
    generatedBy: `@lrnas/engine ${ENGINE_VERSION}`,
    convertedBy: null,
    weightsManifest: [
      { paths: [WEIGHTS_BIN], weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: 'float32' })) },
    ],
    userDefinedMetadata: metadata,
  };
  const weights = path.join(dir, WEIGHTS_BIN);
  const modelJson = path.join(dir, MODEL_JSON);
  const bytes = await writeFileAtomic(weights, [new Uint8Array(data as ArrayBuffer)]);
  await writeFileAtomic(modelJson, [Buffer.from(`${JSON.stringify(json, null, 2)}\n`, 'utf8')]);
  return { modelJson, weights, bytes };
}

/** A model loaded from an export folder. */
export interface LoadedModel {
  network: EvalNetwork;
  metadata: ModelMetadata;
  /** The model.json that was read. */
  file: string;
}

/**
 * Reads an export folder (or its model.json), checks it, rebuilds the EvalNetwork from the genotype and
 * geometry and loads the weights. Every problem (missing or unreadable files, bad JSON, a manifest that
 * is not TF.js's, missing, extra or misshaped weights, a short weights file) is a ModelFileError naming
 * the file and the problem.
 */
export async function loadExportedModel(dirOrFile: string): Promise<LoadedModel> {
  const file = await modelJsonPath(dirOrFile);
  const fail = (problem: string, where = file): never => {
    throw new ModelFileError(where, problem);
  };
  const text = (await readFileChecked(file, 'model file')).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message})`);
  }
  let parsed: { groups: Array<{ paths: string[]; weights: WeightEntry[] }>; metadata: ModelMetadata };
  try {
    parsed = checkModelJson(raw);
  } catch (error) {
    if (error instanceof ContractError) fail(error.message);
    throw error;
  }
  const { groups, metadata } = parsed!;
  const entries = groups.flatMap((g) => g.weights);
  const buffers: Buffer[] = [];
  for (const group of groups) {
    for (const p of group.paths) buffers.push(await readFileChecked(path.join(path.dirname(file), p), 'weights file'));
  }
  const data = Buffer.concat(buffers);
  const needed = entries.reduce((n, e) => n + 4 * e.shape.reduce((a, b) => a * b, 1), 0);
  if (data.length !== needed) {
    const files = groups.flatMap((g) => g.paths).join(', ');
    fail(
      data.length < needed
        ? `the weights files (${files}) hold ${data.length} bytes, the manifest needs ${needed} (truncated)`
        : `the weights files (${files}) hold ${data.length} bytes, ${data.length - needed} more than the manifest describes`,
    );
  }

  const { network: spec } = metadata;
  const network = new EvalNetwork(metadata.genotype, { ...spec, seed: 0 });
  try {
    const expected = new Map(network.namedSlots().map(({ name, slot }) => [name, slot.shape]));
    const given = new Map(entries.map((e) => [e.name, e.shape]));
    const missing = [...expected.keys()].filter((name) => !given.has(name));
    const extra = [...given.keys()].filter((name) => !expected.has(name));
    const misshaped = [...given].filter(
      ([name, shape]) => expected.has(name) && !tf.util.arraysEqual(shape, expected.get(name) as number[]),
    );
    const list = (names: string[]): string =>
      `${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
    if (missing.length > 0) fail(`weights missing from the manifest: ${list(missing)}`);
    if (extra.length > 0) fail(`weights the network does not have: ${list(extra)}`);
    if (misshaped.length > 0) {
      const [name, shape] = misshaped[0]!;
      fail(`weight ${name} has shape [${shape}], the network needs [${expected.get(name)}]`);
    }
    const arrayBuffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    const decoded = tf.io.decodeWeights(arrayBuffer, entries);
    try {
      network.loadState(decoded);
    } finally {
      tf.dispose(Object.values(decoded));
    }
  } catch (error) {
    network.dispose();
    throw error;
  }
  return { network, metadata, file };
}

/** `dir/model.json`, or the path itself when it names a file. */
async function modelJsonPath(dirOrFile: string): Promise<string> {
  try {
    const stat = await fs.stat(dirOrFile);
    return stat.isDirectory() ? path.join(dirOrFile, MODEL_JSON) : dirOrFile;
  } catch {
    throw new ModelFileError(dirOrFile, 'no such model folder or model.json');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks model.json's structure; throws a ContractError naming the field. */
function checkModelJson(raw: unknown): {
  groups: Array<{ paths: string[]; weights: WeightEntry[] }>;
  metadata: ModelMetadata;
} {
  if (!isRecord(raw)) throw new ContractError('', 'model.json must hold a JSON object');
  if (raw.format !== MODEL_FORMAT)
    throw new ContractError('format', `must be ${JSON.stringify(MODEL_FORMAT)}, got ${JSON.stringify(raw.format)}`);
  if (!Array.isArray(raw.weightsManifest) || raw.weightsManifest.length === 0)
    throw new ContractError('weightsManifest', 'must be a non-empty array of {paths, weights} groups');
  const groups = raw.weightsManifest.map((g: unknown, i) => {
    const at = `weightsManifest[${i}]`;
    if (!isRecord(g)) throw new ContractError(at, 'must be an object with paths and weights');
    if (!Array.isArray(g.paths) || g.paths.length === 0)
      throw new ContractError(`${at}.paths`, 'must be a non-empty array of file names');
    const paths = g.paths.map((p: unknown, k) => {
      // Weights live beside model.json: no absolute paths, no climbing out of the folder.
      if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || p.split(/[\\/]/).includes('..'))
        throw new ContractError(`${at}.paths[${k}]`, `must be a file name beside model.json, got ${JSON.stringify(p)}`);
      return p;
    });
    if (!Array.isArray(g.weights)) throw new ContractError(`${at}.weights`, 'must be an array');
    const weights = g.weights.map((w: unknown, k): WeightEntry => {
      const wat = `${at}.weights[${k}]`;
      if (!isRecord(w)) throw new ContractError(wat, 'must be {name, shape, dtype}');
      if (typeof w.name !== 'string' || w.name === '')
        throw new ContractError(`${wat}.name`, 'must be a non-empty string');
      if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
        throw new ContractError(
          `${wat}.shape`,
          `must be an array of non-negative integers, got ${JSON.stringify(w.shape)}`,
        );
      if (w.dtype !== 'float32')
        throw new ContractError(
          `${wat}.dtype`,
          `must be "float32" (the engine stores nothing else), got ${JSON.stringify(w.dtype)}`,
        );
      if ('quantization' in w) throw new ContractError(`${wat}.quantization`, 'quantized weights are not supported');
      return { name: w.name, shape: w.shape as number[], dtype: 'float32' };
    });
    return { paths, weights };
  });
  const meta = raw.userDefinedMetadata;
  if (!isRecord(meta)) throw new ContractError('userDefinedMetadata', 'must hold the genotype and network geometry');
  const genotype = parseGenotype(meta.genotype, 'userDefinedMetadata.genotype');
  const network = checkNetworkSpec(meta.network, 'userDefinedMetadata.network');
  const metadata: ModelMetadata = {
    ...(meta as unknown as ModelMetadata),
    genotype,
    network,
    engineVersion: typeof meta.engineVersion === 'string' ? meta.engineVersion : 'unknown',
  };
  return { groups, metadata };
}
