import fs from 'node:fs/promises';
import path from 'node:path';
import { ContractError, ErrorCode, LrnasError, parseGenotype, type DatasetName, type Genotype } from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';
import { countParameters } from '../nn/cost.js';
import { resolveThreadCount } from '../parallel/pool.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { evaluateModel, type EvaluateSettings, type EvaluationReport } from '../train/evaluate.js';
import { exportModel, loadExportedModel, MODEL_JSON } from '../train/export.js';
import { writeFileAtomic } from '../train/files.js';
import type { TrainSettings } from '../train/settings.js';
import type { EpochSummary } from '../train/state.js';
import { Trainer, type TrainEvent } from '../train/trainer.js';
import { parseEdgeMatrices } from './alphas-file.js';
import type { SearchEpochSummary } from './search-checkpoint.js';
import { SearchRun, type SearchEvent } from './search-run.js';
import { parseDarts, selectGreedy } from './selection.js';
import type { SearchSettings, SelectionSettings } from './settings.js';
import type { EdgeMatrices } from './space.js';

/** The stages of a pipeline, in order. */
export const PIPELINE_STAGES = ['search', 'select', 'train', 'evaluate'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** Files of a pipeline's output folder. */
export const PIPELINE_FILES = {
  state: 'pipeline.json',
  searchCheckpoint: 'search.ckpt',
  alphas: 'alphas.json',
  searchHistory: 'search-history.json',
  genotype: 'genotype.json',
  trainCheckpoint: 'train.ckpt',
  model: 'model',
  evaluation: 'evaluation.json',
  report: 'report.json',
} as const;

/** Everything a pipeline runs with; stored in its state file, so that a resume runs the same pipeline. */
export interface PipelineSettings {
  dataset: DatasetName;
  seed: number;
  search: SearchSettings;
  selection: SelectionSettings;
  training: TrainSettings;
  evaluate: EvaluateSettings;
}

/** What a pipeline needs besides its settings. */
export interface PipelineSetup extends PipelineSettings {
  train: Dataset;
  test: Dataset;
  /** Output folder: checkpoints of every stage, alphas, genotype, model, evaluation and report. */
  outDir: string;
}

/** Everything a pipeline reports, through one callback. */
export type PipelineEvent =
  | { type: 'stage'; stage: PipelineStage; status: 'started' | 'completed' | 'resumed' }
  | { type: 'search'; event: SearchEvent }
  | { type: 'selection'; genotype: Genotype; params: number; budget: number; mode: SelectionSettings['mode'] }
  | { type: 'train'; event: TrainEvent }
  | { type: 'evaluate-progress'; done: number; total: number }
  | { type: 'evaluation'; report: EvaluationReport };

/** The JSON report of a finished pipeline. */
export interface PipelineReport {
  format: 'lrnas-pipeline-report';
  settings: PipelineSettings;
  genotype: Genotype;
  params: number;
  alphas: EdgeMatrices;
  search: SearchEpochSummary[];
  training: EpochSummary[];
  cleanAccuracy: number;
  robustAccuracy: number;
  evaluation: EvaluationReport;
  files: Record<string, string>;
}

/** How a pipeline call ended. */
export interface PipelineResult {
  status: 'completed' | 'cancelled';
  /** The stage it stopped in (cancelled) or 'evaluate' (completed). */
  stage: PipelineStage;
  report?: PipelineReport;
}

/** Options of a pipeline call. */
export interface PipelineOptions {
  onEvent?: (event: PipelineEvent) => void;
  signal?: AbortSignal;
  /**
   * Engine threads of the search stage (SearchRunOptions.threads); default $LRNAS_THREADS, else the machine's
   * cores. Retraining and evaluation run on this thread.
   */
  threads?: number;
}

interface PipelineState {
  format: 'lrnas-pipeline';
  version: 1;
  settings: PipelineSettings;
  completed: PipelineStage[];
}

/**
 * Search, then select, then adversarially retrain the selected network, then attack it
 * (lrnas-method.md sections 2 to 7). Every stage is checkpointed in `outDir` and the state file
 * records the finished stages, so running the same pipeline again on the same folder resumes
 * where it stopped (mid-epoch included) and repeats an uninterrupted run on the same backend.
 */
export async function runPipeline(setup: PipelineSetup, options: PipelineOptions = {}): Promise<PipelineResult> {
  const { outDir, train, test, ...settings } = setup;
  const emit = (event: PipelineEvent): void => options.onEvent?.(event);
  const file = (name: string): string => path.join(outDir, name);
  await fs.mkdir(outDir, { recursive: true });
  const state = await openState(file(PIPELINE_FILES.state), settings);
  const done = (stage: PipelineStage): boolean => state.completed.includes(stage);
  const complete = async (stage: PipelineStage): Promise<void> => {
    state.completed.push(stage);
    await writeJson(file(PIPELINE_FILES.state), state);
    emit({ type: 'stage', stage, status: 'completed' });
  };
  const shape = {
    channels: settings.selection.channels,
    layers: settings.selection.layers,
    classes: train.classes,
    inputChannels: train.channels,
  };

  // 1. Search.
  if (!done('search')) {
    const checkpoint = file(PIPELINE_FILES.searchCheckpoint);
    const resumed = await exists(checkpoint);
    emit({ type: 'stage', stage: 'search', status: resumed ? 'resumed' : 'started' });
    const run = resumed
      ? await SearchRun.resume(checkpoint, train, settings)
      : new SearchRun({ settings: settings.search, selection: settings.selection, seed: settings.seed, train });
    try {
      const result = await run.run({
        checkpointPath: checkpoint,
        signal: options.signal,
        onEvent: (event) => emit({ type: 'search', event }),
        threads: options.threads ?? resolveThreadCount(),
      });
      if (result.status !== 'completed') return { status: 'cancelled', stage: 'search' };
      // The alphas in the format `lrnas select --alphas` reads; the search's epochs beside them.
      await writeJson(file(PIPELINE_FILES.alphas), result.alphas);
      await writeJson(file(PIPELINE_FILES.searchHistory), result.history);
    } finally {
      run.dispose();
    }
    await complete('search');
  }
  const alphas = parseEdgeMatrices(JSON.parse(await fs.readFile(file(PIPELINE_FILES.alphas), 'utf8')), 'alphas');
  const searchHistory = JSON.parse(
    await fs.readFile(file(PIPELINE_FILES.searchHistory), 'utf8'),
  ) as SearchEpochSummary[];

  // 2. Selection (section 6) at the evaluation size.
  if (!done('select')) {
    emit({ type: 'stage', stage: 'select', status: 'started' });
    const genotype =
      settings.selection.mode === 'no-greedy'
        ? parseDarts(alphas)
        : selectGreedy(alphas, { budget: settings.selection.budget, shape, mode: settings.selection.mode }).genotype;
    const params = countParameters(genotype, shape);
    await writeJson(file(PIPELINE_FILES.genotype), { genotype, params });
    emit({
      type: 'selection',
      genotype,
      params,
      budget: settings.selection.budget,
      mode: settings.selection.mode,
    });
    await complete('select');
  }
  const selected = JSON.parse(await fs.readFile(file(PIPELINE_FILES.genotype), 'utf8')) as { genotype: unknown };
  const genotype = parseGenotype(selected.genotype, 'genotype');
  const params = countParameters(genotype, shape);

  // 3. Adversarial retraining (section 7).
  let trainingHistory: EpochSummary[] = [];
  if (!done('train')) {
    const checkpoint = file(PIPELINE_FILES.trainCheckpoint);
    const resumed = await exists(checkpoint);
    emit({ type: 'stage', stage: 'train', status: resumed ? 'resumed' : 'started' });
    const trainer = resumed
      ? await Trainer.resume(checkpoint, { train, test })
      : new Trainer({ genotype, settings: settings.training, seed: settings.seed, train, test });
    try {
      const result = await trainer.run({
        checkpointPath: checkpoint,
        signal: options.signal,
        onEvent: (event) => emit({ type: 'train', event }),
      });
      if (result.status !== 'completed') return { status: 'cancelled', stage: 'train' };
      await exportModel(file(PIPELINE_FILES.model), trainer.network, {
        imageHeight: train.height,
        imageWidth: train.width,
        training: trainer.settings,
        seed: trainer.seed,
        data: trainer.data,
      });
      trainingHistory = result.history;
    } finally {
      trainer.dispose();
    }
    await complete('train');
  }

  // 4. Evaluation under the attack suite.
  let report: EvaluationReport;
  if (!done('evaluate')) {
    emit({ type: 'stage', stage: 'evaluate', status: 'started' });
    const loaded = await loadExportedModel(file(PIPELINE_FILES.model));
    try {
      report = await evaluateModel({
        ...settings.evaluate,
        network: loaded.network,
        data: test,
        seed: settings.seed,
        signal: options.signal,
        onProgress: (doneCount, total) => emit({ type: 'evaluate-progress', done: doneCount, total }),
      });
    } catch (error) {
      if (options.signal?.aborted) return { status: 'cancelled', stage: 'evaluate' };
      throw error;
    } finally {
      loaded.network.dispose();
    }
    await writeJson(file(PIPELINE_FILES.evaluation), report);
    emit({ type: 'evaluation', report });
    await complete('evaluate');
  } else {
    report = JSON.parse(await fs.readFile(file(PIPELINE_FILES.evaluation), 'utf8')) as EvaluationReport;
  }
  if (trainingHistory.length === 0) trainingHistory = await trainingHistoryOf(file(PIPELINE_FILES.trainCheckpoint));

  const final: PipelineReport = {
    format: 'lrnas-pipeline-report',
    settings,
    genotype,
    params,
    alphas,
    search: searchHistory,
    training: trainingHistory,
    cleanAccuracy: report.cleanAccuracy,
    robustAccuracy: report.robustAccuracy,
    evaluation: report,
    files: Object.fromEntries(Object.entries(PIPELINE_FILES).map(([key, name]) => [key, file(name)])),
  };
  final.files.model = path.join(file(PIPELINE_FILES.model), MODEL_JSON);
  await writeJson(file(PIPELINE_FILES.report), final);
  return { status: 'completed', stage: 'evaluate', report: final };
}

/** Reads the state file, or starts one; a folder that holds another pipeline is an error. */
async function openState(stateFile: string, settings: PipelineSettings): Promise<PipelineState> {
  if (!(await exists(stateFile))) {
    const state: PipelineState = { format: 'lrnas-pipeline', version: 1, settings, completed: [] };
    await writeJson(stateFile, state);
    return state;
  }
  let state: PipelineState;
  try {
    state = JSON.parse(await fs.readFile(stateFile, 'utf8')) as PipelineState;
  } catch (error) {
    throw new LrnasError(ErrorCode.BAD_INPUT, `${stateFile} is not a pipeline state file: ${(error as Error).message}`);
  }
  if (state?.format !== 'lrnas-pipeline' || !Array.isArray(state.completed))
    throw new LrnasError(ErrorCode.BAD_INPUT, `${stateFile} is not a pipeline state file`);
  if (JSON.stringify(state.settings) !== JSON.stringify(settings)) {
    const differing = (Object.keys(settings) as Array<keyof PipelineSettings>).filter(
      (key) => JSON.stringify(state.settings[key]) !== JSON.stringify(settings[key]),
    );
    throw new ContractError(
      differing[0] ?? 'settings',
      `the folder ${path.dirname(stateFile)} holds a pipeline with other settings (${differing.join(', ')} differ): use another --out or the same settings to resume`,
    );
  }
  return state;
}

async function trainingHistoryOf(checkpoint: string): Promise<EpochSummary[]> {
  if (!(await exists(checkpoint))) return [];
  return (await readCheckpoint(checkpoint)).manifest.history;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8')]);
}
