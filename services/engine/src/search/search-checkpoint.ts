import * as tf from '@tensorflow/tfjs-core';
import { ContractError, type Genotype } from '@lrnas/schema';
import { ModelFileError, readFileChecked, writeFileAtomic } from '../files/checked-files.js';
import type { DataFingerprint } from '../train/state.js';
import { ENGINE_VERSION } from '../version.js';
import type { MomentumState } from './alpha-update.js';
import type { SearchSettings, SelectionSettings } from './settings.js';
import type { EdgeMatrices } from './space.js';

/** `format` of a search checkpoint. */
export const SEARCH_CHECKPOINT_FORMAT = 'lrnas-search-checkpoint';
export const SEARCH_CHECKPOINT_VERSION = 1;

/** Where a search stands: the next training batch of `epoch`, or (batch = batches) its estimation. */
export interface SearchPosition {
  epoch: number;
  batch: number;
  /** Training steps done in the whole run. */
  step: number;
}

/** Sums of the current epoch's training batches. */
export interface SearchEpochProgress {
  lossSum: number;
  correct: number;
  examples: number;
  seconds: number;
}

/** One finished epoch. */
export interface SearchEpochSummary {
  epoch: number;
  epochs: number;
  lr: number;
  trainLoss: number | null;
  trainAccuracy: number;
  /** Clean accuracy of the full supernet on the first `validExamples` valid images; null when none. */
  validAccuracy: number | null;
  /** Whether contributions were estimated (false during warm-up). */
  estimated: boolean;
  /** Mean accuracies of the full supernet on the estimation batches, clean and FGSM; null in warm-up. */
  scoringClean: number | null;
  scoringAdversarial: number | null;
  /** Prefixes measured by the estimation, and what the naive walk measures. */
  prefixEvaluations: number;
  naivePrefixEvaluations: number;
  estimateSeconds: number;
  genotype: Genotype;
  params: number;
  seconds: number;
}

/** Everything of a search checkpoint but the tensors. */
export interface SearchCheckpointState {
  settings: SearchSettings;
  selection: SelectionSettings;
  seed: number;
  data: DataFingerprint;
  position: SearchPosition;
  progress: SearchEpochProgress;
  history: SearchEpochSummary[];
  alphas: EdgeMatrices;
  momentum: MomentumState;
}

interface StoredTensor {
  shape: number[];
  /** float32 little-endian values, base64. */
  data: string;
}

interface SearchCheckpointFile extends SearchCheckpointState {
  format: typeof SEARCH_CHECKPOINT_FORMAT;
  version: number;
  engineVersion: string;
  createdAt: string;
  tensors: Record<'parameter' | 'buffer' | 'momentum', Record<string, StoredTensor>>;
}

/** A search checkpoint read back: its state and its tensors by group and name (the caller disposes them). */
export interface SearchCheckpoint {
  file: string;
  state: SearchCheckpointState;
  tensors: Record<'parameter' | 'buffer' | 'momentum', Map<string, tf.Tensor>>;
}

async function store(pairs: ReadonlyArray<readonly [string, tf.Tensor]>): Promise<Record<string, StoredTensor>> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, tensor] of pairs) {
    const values = (await tensor.data()) as Float32Array;
    out[name] = {
      shape: [...tensor.shape],
      data: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
    };
  }
  return out;
}

/**
 * Writes a search checkpoint atomically (JSON: state, plus every tensor as base64 float32), so an
 * interrupted write leaves the previous one intact. Returns the bytes written.
 */
export async function writeSearchCheckpoint(
  file: string,
  state: SearchCheckpointState,
  tensors: Record<'parameter' | 'buffer' | 'momentum', ReadonlyArray<readonly [string, tf.Tensor]>>,
): Promise<number> {
  const content: SearchCheckpointFile = {
    format: SEARCH_CHECKPOINT_FORMAT,
    version: SEARCH_CHECKPOINT_VERSION,
    engineVersion: ENGINE_VERSION,
    createdAt: new Date().toISOString(),
    ...state,
    tensors: {
      parameter: await store(tensors.parameter),
      buffer: await store(tensors.buffer),
      momentum: await store(tensors.momentum),
    },
  };
  return writeFileAtomic(file, [Buffer.from(JSON.stringify(content), 'utf8')]);
}

/** Reads a search checkpoint; every problem is a ModelFileError naming the file and what is wrong. */
export async function readSearchCheckpoint(file: string): Promise<SearchCheckpoint> {
  const bytes = await readFileChecked(file, 'search checkpoint');
  let raw: SearchCheckpointFile;
  try {
    raw = JSON.parse(bytes.toString('utf8')) as SearchCheckpointFile;
  } catch (error) {
    throw new ModelFileError(file, `not a search checkpoint: invalid JSON (${(error as Error).message}); truncated?`);
  }
  if (typeof raw !== 'object' || raw === null || raw.format !== SEARCH_CHECKPOINT_FORMAT)
    throw new ModelFileError(file, `not a search checkpoint (format must be "${SEARCH_CHECKPOINT_FORMAT}")`);
  if (raw.version !== SEARCH_CHECKPOINT_VERSION)
    throw new ModelFileError(
      file,
      `search checkpoint version ${String(raw.version)} is not supported (this engine reads ${SEARCH_CHECKPOINT_VERSION})`,
    );
  const tensors = {
    parameter: new Map<string, tf.Tensor>(),
    buffer: new Map<string, tf.Tensor>(),
    momentum: new Map<string, tf.Tensor>(),
  };
  try {
    for (const group of ['parameter', 'buffer', 'momentum'] as const) {
      for (const [name, stored] of Object.entries(raw.tensors?.[group] ?? {})) {
        const buffer = Buffer.from(stored.data, 'base64');
        const size = stored.shape.reduce((a, b) => a * b, 1);
        if (buffer.length !== size * 4)
          throw new ContractError(
            `tensors.${group}.${name}`,
            `holds ${buffer.length} bytes for shape [${stored.shape.join(', ')}]`,
          );
        const values = new Float32Array(size);
        Buffer.from(values.buffer).set(buffer);
        tensors[group].set(name, tf.tensor(values, stored.shape, 'float32'));
      }
    }
  } catch (error) {
    for (const group of Object.values(tensors)) tf.dispose([...group.values()]);
    if (error instanceof ContractError) throw new ModelFileError(file, `bad tensor data: ${error.message}`);
    throw error;
  }
  const { format: _f, version: _v, engineVersion: _e, createdAt: _c, tensors: _t, ...state } = raw;
  return { file, state, tensors };
}
