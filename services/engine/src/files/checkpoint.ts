import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError, parseGenotype, type Genotype } from '@lrnas/schema';
import { validateNetworkShape, type NetworkShape } from '../nn/plan.js';
import { ENGINE_VERSION } from '../version.js';
import { ModelFileError, readFileChecked, writeFileAtomic } from './checked-files.js';
import type { LrSchedule } from '../optim/schedule.js';
import { validateTrainSettings, type TrainSettings } from '../train/settings.js';
import type { DataFingerprint, EpochAccumulator, EpochSummary, TrainPosition } from '../train/state.js';

/** `format` of a checkpoint manifest. */
export const CHECKPOINT_FORMAT = 'lrnas-checkpoint';
/** Layout version this build writes and reads. */
export const CHECKPOINT_VERSION = 1;
/** First 8 bytes of a checkpoint file. */
const MAGIC = 'LRNASCKP';
/** Magic, layout version (uint32 LE), manifest length in bytes (uint32 LE). */
const HEADER_BYTES = 16;

/** Which state a stored tensor restores. */
export type CheckpointGroup = 'parameter' | 'buffer' | 'momentum';
const GROUPS: readonly CheckpointGroup[] = ['parameter', 'buffer', 'momentum'];

/** One tensor of the blob: float32 values from `offset` (in values) on. */
export interface CheckpointTensorEntry {
  name: string;
  group: CheckpointGroup;
  shape: number[];
  offset: number;
}

/** Network geometry as stored with checkpoints and exported models. */
export interface NetworkSpec extends NetworkShape {
  auxiliary: boolean;
  imageHeight: number;
  imageWidth: number;
}

/**
 * How the run's randomness is stored: every random draw (batch order, augmentation, adversarial
 * starts, drop-path masks, monitoring attacks) comes from a stream derived from (seed, purpose,
 * epoch, batch), so the seed and the position are the whole random state.
 */
export interface RandomState {
  scheme: 'derived-v1';
  seed: number;
}

/** Everything of a checkpoint except the tensors. */
export interface TrainCheckpointState {
  genotype: Genotype;
  network: NetworkSpec;
  settings: TrainSettings;
  seed: number;
  data: DataFingerprint;
  position: TrainPosition;
  epochProgress: EpochAccumulator;
  history: EpochSummary[];
  /** The learning-rate schedule and the rate of the epoch at `position` (derived from settings; for readers). */
  schedule: LrSchedule & { currentLr: number };
  random: RandomState;
}

/** The JSON part of a checkpoint file. */
export interface CheckpointManifest extends TrainCheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  engineVersion: string;
  createdAt: string;
  tensors: CheckpointTensorEntry[];
  blob: { values: number; sha256: string };
}

/** A stored tensor read back. */
export interface StoredTensor {
  shape: number[];
  values: Float32Array;
}

/** A checkpoint read from disk. */
export interface Checkpoint {
  file: string;
  manifest: CheckpointManifest;
  /** Tensors by group, then by name. */
  tensors: Record<CheckpointGroup, Map<string, StoredTensor>>;
}

/** Named tensors to store, by group. */
export type CheckpointTensors = Record<CheckpointGroup, ReadonlyArray<readonly [string, tf.Tensor]>>;

/**
 * Writes a checkpoint to `file` atomically (temporary file, flush, rename), so an interrupted write
 * leaves the previous checkpoint intact. The file: `LRNASCKP`, uint32 layout version, uint32 manifest
 * length, the manifest as UTF-8 JSON padded with spaces to a multiple of 4 bytes, then the float32
 * values (little-endian) of every tensor in manifest order. Returns the bytes written.
 */
export async function writeCheckpoint(
  file: string,
  state: TrainCheckpointState,
  tensors: CheckpointTensors,
): Promise<number> {
  const entries: CheckpointTensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const group of GROUPS) {
    for (const [name, tensor] of tensors[group]) {
      if (tensor.dtype !== 'float32')
        throw new ContractError(`${group}.${name}`, `must be float32, got ${tensor.dtype}`);
      const values = (await tensor.data()) as Float32Array;
      entries.push({ name, group, shape: [...tensor.shape], offset });
      arrays.push(values);
      offset += values.length;
    }
  }
  const blob = new Uint8Array(offset * 4);
  const view = new DataView(blob.buffer);
  let at = 0;
  for (const values of arrays) {
    for (const v of values) {
      view.setFloat32(at, v, true);
      at += 4;
    }
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    engineVersion: ENGINE_VERSION,
    createdAt: new Date().toISOString(),
    ...state,
    tensors: entries,
    blob: { values: offset, sha256: createHash('sha256').update(blob).digest('hex') },
  };
  let json = Buffer.from(JSON.stringify(manifest), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'ascii');
  header.writeUInt32LE(CHECKPOINT_VERSION, 8);
  header.writeUInt32LE(json.length, 12);
  return writeFileAtomic(file, [header, json, blob]);
}

/** Reads and checks a checkpoint; every problem is a ModelFileError naming the file and what is wrong. */
export async function readCheckpoint(file: string): Promise<Checkpoint> {
  const bytes = await readFileChecked(file, 'checkpoint file');
  const fail = (problem: string): never => {
    throw new ModelFileError(file, problem);
  };
  if (bytes.length < HEADER_BYTES)
    fail(`truncated: ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte checkpoint header`);
  if (bytes.toString('ascii', 0, 8) !== MAGIC) fail(`not an LRNAS checkpoint (the file does not start with ${MAGIC})`);
  const version = bytes.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION)
    fail(`checkpoint layout version ${version} is not supported (this engine reads ${CHECKPOINT_VERSION})`);
  const jsonLength = bytes.readUInt32LE(12);
  if (HEADER_BYTES + jsonLength > bytes.length)
    fail(
      `truncated: the manifest needs ${jsonLength} bytes after the header, the file has ${bytes.length - HEADER_BYTES}`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8', HEADER_BYTES, HEADER_BYTES + jsonLength));
  } catch (error) {
    fail(`the manifest is not valid JSON (${(error as Error).message})`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = checkManifest(raw);
  } catch (error) {
    if (error instanceof ContractError) fail(`bad manifest: ${error.message}`);
    throw error;
  }
  const blobStart = HEADER_BYTES + jsonLength;
  const blob = bytes.subarray(blobStart);
  const expected = manifest!.blob.values * 4;
  if (blob.length !== expected)
    fail(
      blob.length < expected
        ? `truncated: the tensor data has ${blob.length} bytes, the manifest announces ${expected}`
        : `${blob.length - expected} unexpected bytes after the tensor data`,
    );
  if (createHash('sha256').update(blob).digest('hex') !== manifest!.blob.sha256)
    fail('corrupt: the tensor data does not match the checksum in the manifest');
  const values = new Float32Array(manifest!.blob.values);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  const tensors: Checkpoint['tensors'] = { parameter: new Map(), buffer: new Map(), momentum: new Map() };
  for (const entry of manifest!.tensors) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset + size > values.length)
      fail(`bad manifest: tensor ${entry.group}.${entry.name} reaches past the end of the tensor data`);
    if (tensors[entry.group].has(entry.name)) fail(`bad manifest: tensor ${entry.group}.${entry.name} appears twice`);
    tensors[entry.group].set(entry.name, {
      shape: entry.shape,
      values: values.subarray(entry.offset, entry.offset + size),
    });
  }
  return { file, manifest: manifest!, tensors };
}

/** Named tensors of a checkpoint group as tf tensors (the caller disposes them). */
export function checkpointTensors(checkpoint: Checkpoint, group: CheckpointGroup): Map<string, tf.Tensor> {
  return new Map(
    [...checkpoint.tensors[group]].map(([name, t]) => [name, tf.tensor(t.values, t.shape, 'float32')] as const),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const nonNegativeInt = (value: unknown, field: string): number => {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0))
    throw new ContractError(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
};

const finiteNumber = (value: unknown, field: string): number => {
  if (!(typeof value === 'number' && Number.isFinite(value)))
    throw new ContractError(field, `must be a number, got ${JSON.stringify(value)}`);
  return value;
};

const record = (value: unknown, field: string): Record<string, unknown> => {
  if (!isRecord(value)) throw new ContractError(field, 'must be an object');
  return value;
};

/** Structural check of a parsed manifest (fields this engine relies on). */
function checkManifest(raw: unknown): CheckpointManifest {
  const m = record(raw, '');
  if (m.format !== CHECKPOINT_FORMAT)
    throw new ContractError('format', `must be ${JSON.stringify(CHECKPOINT_FORMAT)}, got ${JSON.stringify(m.format)}`);
  if (m.version !== CHECKPOINT_VERSION)
    throw new ContractError('version', `must be ${CHECKPOINT_VERSION}, got ${JSON.stringify(m.version)}`);
  const genotype = parseGenotype(m.genotype, 'genotype');
  const network = checkNetworkSpec(m.network, 'network');
  const settings = record(m.settings, 'settings') as unknown as TrainSettings;
  validateTrainSettings(settings);
  nonNegativeInt(m.seed, 'seed');
  const data = record(m.data, 'data');
  for (const key of ['trainSize', 'testSize', 'height', 'width', 'channels', 'classes'])
    nonNegativeInt(data[key], `data.${key}`);
  if (typeof data.name !== 'string' || typeof data.trainLabelsHash !== 'string')
    throw new ContractError('data', 'must name the data set and hash its labels');
  const position = record(m.position, 'position');
  for (const key of ['epoch', 'batch', 'step']) nonNegativeInt(position[key], `position.${key}`);
  const progress = record(m.epochProgress, 'epochProgress');
  for (const key of ['correct', 'examples', 'steps']) nonNegativeInt(progress[key], `epochProgress.${key}`);
  // lossSum may be NaN after a diverged step; JSON writes that as null.
  if (progress.lossSum === null) progress.lossSum = Number.NaN;
  else finiteNumber(progress.lossSum, 'epochProgress.lossSum');
  finiteNumber(progress.seconds, 'epochProgress.seconds');
  if (!Array.isArray(m.history)) throw new ContractError('history', 'must be an array of epoch summaries');
  const random = record(m.random, 'random');
  if (random.scheme !== 'derived-v1')
    throw new ContractError('random.scheme', `must be "derived-v1", got ${JSON.stringify(random.scheme)}`);
  if (!Array.isArray(m.tensors)) throw new ContractError('tensors', 'must be an array');
  m.tensors.forEach((t: unknown, i) => {
    const entry = record(t, `tensors[${i}]`);
    if (typeof entry.name !== 'string' || entry.name === '')
      throw new ContractError(`tensors[${i}].name`, 'must be a non-empty string');
    if (!GROUPS.includes(entry.group as CheckpointGroup))
      throw new ContractError(`tensors[${i}].group`, `must be one of ${GROUPS.join(', ')}`);
    if (!Array.isArray(entry.shape)) throw new ContractError(`tensors[${i}].shape`, 'must be an array');
    entry.shape.forEach((d, k) => nonNegativeInt(d, `tensors[${i}].shape[${k}]`));
    nonNegativeInt(entry.offset, `tensors[${i}].offset`);
  });
  const blob = record(m.blob, 'blob');
  nonNegativeInt(blob.values, 'blob.values');
  if (typeof blob.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(blob.sha256))
    throw new ContractError('blob.sha256', 'must be 64 hex digits');
  return { ...(m as unknown as CheckpointManifest), genotype, network };
}

/** Checks a stored network geometry; throws a ContractError naming the field. */
export function checkNetworkSpec(value: unknown, field: string): NetworkSpec {
  const n = record(value, field);
  const shape = {
    channels: n.channels as number,
    layers: n.layers as number,
    classes: n.classes as number,
    inputChannels: n.inputChannels as number,
  };
  try {
    validateNetworkShape(shape);
  } catch (error) {
    if (error instanceof ContractError) throw new ContractError(`${field}.${error.field}`, error.reason);
    throw error;
  }
  if (typeof n.auxiliary !== 'boolean') throw new ContractError(`${field}.auxiliary`, 'must be true or false');
  for (const key of ['imageHeight', 'imageWidth']) {
    const v = n[key];
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v > 0))
      throw new ContractError(`${field}.${key}`, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return {
    ...shape,
    auxiliary: n.auxiliary,
    imageHeight: n.imageHeight as number,
    imageWidth: n.imageWidth as number,
  };
}
