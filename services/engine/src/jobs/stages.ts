/**
 * The stages of a job, each once: search, select, train, evaluate (lrnas-method.md sections 2 to 7).
 * `lrnas search|train|pipeline`, the pipeline and the worker's jobs run these functions; each writes
 * its outputs under the names of JOB_FILES in the job's folder. A stage reports through a callback of
 * plain-data events and stops when its signal fires (checked between batches), so that it can run
 * on another thread than its caller. A stage emits its `started`/`resumed` event; its caller emits
 * `completed` once it has recorded the stage (the pipeline's state file), since a worker stores the
 * folder when it sees that event.
 */
import path from 'node:path';
import type { Genotype, Stage } from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';
import { countParameters } from '../nn/cost.js';
import { parseEdgeMatrices } from '../search/alphas-file.js';
import type { SearchEpochSummary } from '../search/search-checkpoint.js';
import { SearchRun, type SearchEvent, type SearchResult } from '../search/search-run.js';
import { selectBySettings } from '../search/selection.js';
import type { SearchSettings, SelectionSettings } from '../search/settings.js';
import type { EdgeMatrices } from '../search/space.js';
import type { Checkpoint } from '../files/checkpoint.js';
import { evaluateModel, type EvaluateSettings, type EvaluationReport } from '../evaluate/evaluate-model.js';
import { exportModel, MODEL_JSON } from '../files/model-export.js';
import type { EvalNetwork } from '../nn/network.js';
import type { TrainSettings } from '../train/settings.js';
import type { StudyRow } from '../study/run-study.js';
import { Trainer, type TrainEvent, type TrainResult } from '../train/trainer.js';
import { fileExists, findTrainCheckpoint, JOB_FILES, readJson, writeJson } from './files.js';

/** The network a job's genotypes are counted for, at its images' size. */
export interface JobNetwork {
  channels: number;
  layers: number;
  classes: number;
  inputChannels: number;
  imageSize: number;
}

/** Everything a job reports, as plain data (it can cross a thread boundary), through one callback. */
export type JobEvent =
  /** The network of the job's genotypes; first, before any genotype. */
  | { type: 'network'; network: JobNetwork }
  | { type: 'stage'; stage: Stage; status: 'started' | 'completed' | 'resumed' }
  | { type: 'search'; event: SearchEvent }
  | { type: 'selection'; genotype: Genotype; params: number; budget: number; mode: SelectionSettings['mode'] }
  /** The genotype a train job was given, before it trains it. */
  | { type: 'architecture'; genotype: Genotype; params: number }
  | { type: 'train'; event: TrainEvent }
  | { type: 'evaluate-progress'; done: number; total: number }
  | { type: 'evaluation'; report: EvaluationReport }
  /** A study's row is finished (or a resumed study found it finished): `done` of `total` rows. */
  | { type: 'study-row'; row: StudyRow; done: number; total: number }
  /** An event of the stage a study's row is in (its search, training or attack), with the row's name. */
  | { type: 'study-step'; row: string; done: number; total: number; event: JobEvent }
  /** A study is done and its table written (the job's report): the table as text. */
  | { type: 'study-done'; rows: number; text: string };

/** Where a stage reports, and what stops it. */
export interface StageIo {
  emit(event: JobEvent): void;
  /** Checked between batches; a stopped stage leaves a checkpoint to resume from. */
  signal?: AbortSignal;
}

/** What makes a search this search: its settings, selection and seed. */
export interface SearchSpec {
  search: SearchSettings;
  selection: SelectionSettings;
  seed: number;
}

/** A search of a job folder, new or resumed from the folder's checkpoint; the caller disposes `run`. */
export interface OpenedSearch {
  run: SearchRun;
  resumed: boolean;
  checkpoint: string;
}

/**
 * Opens the search of a job folder: resumes from its checkpoint when there is one, else starts one.
 * A checkpoint of another search is refused, naming what differs, unless `verify` is false (the CLI
 * compares with its flags itself, to name them).
 */
export async function openSearch(
  dir: string,
  train: Dataset,
  spec: SearchSpec,
  options: { verify?: boolean } = {},
): Promise<OpenedSearch> {
  const checkpoint = path.join(dir, JOB_FILES.searchCheckpoint);
  const resumed = await fileExists(checkpoint);
  const run = resumed
    ? await SearchRun.resume(checkpoint, train, options.verify === false ? undefined : spec)
    : new SearchRun({ settings: spec.search, selection: spec.selection, seed: spec.seed, train });
  return { run, resumed, checkpoint };
}

/**
 * Runs an opened search to its end or a stop (checkpointing as it goes). A finished search leaves
 * its alphas (the format `lrnas select --alphas` reads) and its epochs beside its checkpoint.
 */
export async function runSearchStage(
  opened: OpenedSearch,
  io: StageIo,
  options: { threads?: number } = {},
): Promise<SearchResult> {
  io.emit({ type: 'stage', stage: 'search', status: opened.resumed ? 'resumed' : 'started' });
  const result = await opened.run.run({
    checkpointPath: opened.checkpoint,
    ...(io.signal && { signal: io.signal }),
    onEvent: (event) => io.emit({ type: 'search', event }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  if (result.status === 'completed') {
    const dir = path.dirname(opened.checkpoint);
    await writeJson(path.join(dir, JOB_FILES.alphas), result.alphas);
    await writeJson(path.join(dir, JOB_FILES.searchHistory), result.history);
  }
  return result;
}

/** The alphas and epochs a finished search stage left in a job folder. */
export async function readSearchOutputs(dir: string): Promise<{ alphas: EdgeMatrices; history: SearchEpochSummary[] }> {
  const alphas = parseEdgeMatrices(await readJson(path.join(dir, JOB_FILES.alphas)), 'alphas');
  const history = (await readJson(path.join(dir, JOB_FILES.searchHistory))) as SearchEpochSummary[];
  return { alphas, history };
}

/**
 * Selection (section 6) at the evaluation size: the genotype of the searched alphas under the
 * budget (greedy, or DARTS' rule with `no-greedy`), written to genotype.json and announced.
 */
export async function runSelectStage(
  dir: string,
  alphas: EdgeMatrices,
  selection: SelectionSettings,
  data: Pick<Dataset, 'classes' | 'channels'>,
  io: StageIo,
): Promise<{ genotype: Genotype; params: number }> {
  io.emit({ type: 'stage', stage: 'select', status: 'started' });
  const { genotype, params } = selectBySettings(alphas, selection, {
    classes: data.classes,
    inputChannels: data.channels,
  });
  await writeJson(path.join(dir, JOB_FILES.genotype), { genotype, params });
  io.emit({ type: 'selection', genotype, params, budget: selection.budget, mode: selection.mode });
  return { genotype, params };
}

/** What makes a training this training: genotype, settings and seed. */
export interface TrainSpec {
  genotype: Genotype;
  settings: TrainSettings;
  seed: number;
}

/** A training of a job folder, new or resumed from the folder's checkpoint; the caller disposes `trainer`. */
export interface OpenedTraining {
  trainer: Trainer;
  resumed: boolean;
  /** Where it checkpoints: the checkpoint it resumed from, else the folder's train.ckpt. */
  checkpoint: string;
}

/**
 * Opens the training of a job folder: resumes from its checkpoint (train.ckpt, or the checkpoint.lrnas
 * of an older `lrnas train` folder) when there is one, else starts `spec`. `stored` is that checkpoint
 * when the caller has read it already (to compare it with its flags).
 */
export async function openTraining(
  dir: string,
  data: { train: Dataset; test: Dataset },
  spec: TrainSpec,
  stored?: Checkpoint,
): Promise<OpenedTraining> {
  const found = stored?.file ?? (await findTrainCheckpoint(dir));
  const checkpoint = found ?? path.join(dir, JOB_FILES.trainCheckpoint);
  if (found === undefined) {
    const trainer = new Trainer({ genotype: spec.genotype, settings: spec.settings, seed: spec.seed, ...data });
    return { trainer, resumed: false, checkpoint };
  }
  const trainer = stored ? Trainer.fromCheckpoint(stored, data) : await Trainer.resume(checkpoint, data);
  return { trainer, resumed: true, checkpoint };
}

/** How a training stage ended; `model` is the exported model.json of a finished one. */
export interface TrainStageResult extends TrainResult {
  model?: string;
}

/** Options of a training stage. */
export interface TrainStageOptions {
  /** Stop with a checkpoint after this many steps of this call (status `stopped`). */
  maxSteps?: number;
  /** Announce the genotype (an `architecture` event) before training it: a train job's given genotype. */
  announce?: boolean;
  /** Where the model goes; default the folder's model/ (`lrnas train` keeps its model at the top of --out). */
  modelDir?: string;
}

/**
 * Adversarial retraining (section 7) of an opened training to its end, a stop or `maxSteps`. A
 * finished training leaves its model in the TF.js format in the folder's model/.
 */
export async function runTrainStage(
  opened: OpenedTraining,
  data: { train: Dataset },
  io: StageIo,
  options: TrainStageOptions = {},
): Promise<TrainStageResult> {
  const { trainer } = opened;
  io.emit({ type: 'stage', stage: 'train', status: opened.resumed ? 'resumed' : 'started' });
  if (options.announce) {
    const shape = trainer.network.shape;
    io.emit({ type: 'architecture', genotype: trainer.genotype, params: countParameters(trainer.genotype, shape) });
  }
  const result: TrainStageResult = await trainer.run({
    checkpointPath: opened.checkpoint,
    ...(io.signal && { signal: io.signal }),
    ...(options.maxSteps !== undefined && { maxSteps: options.maxSteps }),
    onEvent: (event) => io.emit({ type: 'train', event }),
  });
  if (result.status === 'completed') {
    const modelDir = options.modelDir ?? path.join(path.dirname(opened.checkpoint), JOB_FILES.model);
    const exported = await exportModel(modelDir, trainer.network, {
      imageHeight: data.train.height,
      imageWidth: data.train.width,
      training: trainer.settings,
      seed: trainer.seed,
      data: trainer.data,
    });
    result.model = exported.modelJson;
  }
  return result;
}

/** The model.json of a job folder's exported model. */
export function modelJsonOf(dir: string): string {
  return path.join(dir, JOB_FILES.model, MODEL_JSON);
}

/**
 * Evaluation under the attack suite: writes the report to evaluation.json and announces it.
 * Returns undefined when the signal stopped it.
 */
export async function runEvaluateStage(
  dir: string,
  network: EvalNetwork,
  test: Dataset,
  settings: EvaluateSettings & { seed: number },
  io: StageIo,
): Promise<EvaluationReport | undefined> {
  io.emit({ type: 'stage', stage: 'evaluate', status: 'started' });
  let report: EvaluationReport;
  try {
    report = await evaluateModel({
      ...settings,
      network,
      data: test,
      ...(io.signal && { signal: io.signal }),
      onProgress: (done, total) => io.emit({ type: 'evaluate-progress', done, total }),
    });
  } catch (error) {
    if (io.signal?.aborted) return undefined;
    throw error;
  }
  await writeJson(path.join(dir, JOB_FILES.evaluation), report);
  io.emit({ type: 'evaluation', report });
  return report;
}
