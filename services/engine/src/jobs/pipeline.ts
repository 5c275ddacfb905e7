import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ContractError,
  ErrorCode,
  LrnasError,
  parseGenotype,
  type DatasetName,
  type Genotype,
  type Stage,
} from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';
import { countParameters } from '../nn/cost.js';
import { resolveThreadCount } from '../parallel/pool.js';
import type { SearchEpochSummary } from '../search/search-checkpoint.js';
import { selectionShape } from '../search/selection.js';
import type { SearchSettings, SelectionSettings } from '../search/settings.js';
import type { EdgeMatrices } from '../search/space.js';
import { differingKeys } from '../settings-diff.js';
import { readCheckpoint } from '../files/checkpoint.js';
import type { EvaluateSettings, EvaluationReport } from '../evaluate/evaluate-model.js';
import { loadExportedModel } from '../files/model-export.js';
import type { TrainSettings } from '../train/settings.js';
import type { EpochSummary } from '../train/state.js';
import { fileExists, findTrainCheckpoint, jobFiles, readJson, writeJson } from './files.js';
import {
  modelJsonOf,
  openSearch,
  openTraining,
  readSearchOutputs,
  runEvaluateStage,
  runSearchStage,
  runSelectStage,
  runTrainStage,
  type JobEvent,
  type StageIo,
} from './stages.js';

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
  stage: Stage;
  report?: PipelineReport;
}

/** Options of a pipeline call. */
export interface PipelineOptions {
  onEvent?: (event: JobEvent) => void;
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
  completed: Stage[];
}

/**
 * Search, then select, then adversarially retrain the selected network, then attack it
 * (lrnas-method.md sections 2 to 7). Every stage is checkpointed in `outDir` and the state file
 * records the finished stages, so running the same pipeline again on the same folder resumes
 * where it stopped (mid-epoch included) and repeats an uninterrupted run on the same backend.
 */
export async function runPipeline(setup: PipelineSetup, options: PipelineOptions = {}): Promise<PipelineResult> {
  const { outDir, train, test, ...settings } = setup;
  const io: StageIo = {
    emit: (event) => options.onEvent?.(event),
    ...(options.signal && { signal: options.signal }),
  };
  const files = jobFiles(outDir);
  await fs.mkdir(outDir, { recursive: true });
  const state = await openState(files.state, settings);
  const done = (stage: Stage): boolean => state.completed.includes(stage);
  const complete = async (stage: Stage): Promise<void> => {
    state.completed.push(stage);
    await writeJson(files.state, state);
    io.emit({ type: 'stage', stage, status: 'completed' });
  };

  // 1. Search.
  if (!done('search')) {
    const opened = await openSearch(outDir, train, settings);
    try {
      const result = await runSearchStage(opened, io, { threads: options.threads ?? resolveThreadCount() });
      if (result.status !== 'completed') return { status: 'cancelled', stage: 'search' };
    } finally {
      opened.run.dispose();
    }
    await complete('search');
  }
  const { alphas, history: searchHistory } = await readSearchOutputs(outDir);

  // 2. Selection at the evaluation size.
  if (!done('select')) {
    await runSelectStage(outDir, alphas, settings.selection, train, io);
    await complete('select');
  }
  const selected = (await readJson(files.genotype)) as { genotype: unknown };
  const genotype = parseGenotype(selected.genotype, 'genotype');
  const params = countParameters(
    genotype,
    selectionShape(settings.selection, { classes: train.classes, inputChannels: train.channels }),
  );

  // 3. Adversarial retraining.
  let trainingHistory: EpochSummary[] = [];
  if (!done('train')) {
    const opened = await openTraining(
      outDir,
      { train, test },
      { genotype, settings: settings.training, seed: settings.seed },
    );
    try {
      const result = await runTrainStage(opened, { train }, io);
      if (result.status !== 'completed') return { status: 'cancelled', stage: 'train' };
      trainingHistory = result.history;
    } finally {
      opened.trainer.dispose();
    }
    await complete('train');
  }

  // 4. Evaluation under the attack suite.
  let report: EvaluationReport;
  if (!done('evaluate')) {
    const loaded = await loadExportedModel(files.model);
    try {
      const evaluated = await runEvaluateStage(
        outDir,
        loaded.network,
        test,
        { ...settings.evaluate, seed: settings.seed },
        io,
      );
      if (!evaluated) return { status: 'cancelled', stage: 'evaluate' };
      report = evaluated;
    } finally {
      loaded.network.dispose();
    }
    await complete('evaluate');
  } else {
    report = (await readJson(files.evaluation)) as EvaluationReport;
  }
  if (trainingHistory.length === 0) trainingHistory = await trainingHistoryOf(outDir);

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
    files: { ...files, model: modelJsonOf(outDir) },
  };
  await writeJson(files.report, final);
  return { status: 'completed', stage: 'evaluate', report: final };
}

/** Reads the state file, or starts one; a folder that holds another pipeline is an error. */
async function openState(stateFile: string, settings: PipelineSettings): Promise<PipelineState> {
  if (!(await fileExists(stateFile))) {
    const state: PipelineState = { format: 'lrnas-pipeline', version: 1, settings, completed: [] };
    await writeJson(stateFile, state);
    return state;
  }
  let state: PipelineState;
  try {
    state = (await readJson(stateFile)) as PipelineState;
  } catch (error) {
    throw new LrnasError(ErrorCode.BAD_INPUT, `${stateFile} is not a pipeline state file: ${(error as Error).message}`);
  }
  if (state?.format !== 'lrnas-pipeline' || !Array.isArray(state.completed))
    throw new LrnasError(ErrorCode.BAD_INPUT, `${stateFile} is not a pipeline state file`);
  if (JSON.stringify(state.settings) !== JSON.stringify(settings)) {
    const differing = differingKeys(settings, state.settings);
    throw new ContractError(
      differing[0] ?? 'settings',
      `the folder ${path.dirname(stateFile)} holds a pipeline with other settings (${differing.join(', ')} differ): use another --out or the same settings to resume`,
    );
  }
  return state;
}

async function trainingHistoryOf(dir: string): Promise<EpochSummary[]> {
  const checkpoint = await findTrainCheckpoint(dir);
  return checkpoint ? (await readCheckpoint(checkpoint)).manifest.history : [];
}
