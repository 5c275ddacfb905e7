/**
 * A job's plan: the engine settings a job message asks for, resolved with the engine's presets,
 * and the data it loads. The worker's jobs and `lrnas pipeline` plan with these functions.
 */
import type { AttackSpec, EvaluateConfig, Job, PipelineJob, SearchJob, SingleJob, ThreatModel } from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';
import { loadDataset } from '../data/load.js';
import {
  resolvePipelineTraining,
  resolveSearchSettings,
  resolveSelectionSettings,
  TINY_PIPELINE,
  type SearchPreset,
  type SearchSettings,
  type SelectionSettings,
} from '../search/settings.js';
import type { EvaluateSettings } from '../evaluate/evaluate-model.js';
import { resolveTrainSettings, type TrainSettings } from '../train/settings.js';
import type { PipelineSettings } from './pipeline.js';
import { resolveStudySettings, type StudySettings } from '../study/settings.js';

/** Data of a job, loaded from the packaged sets or `dataDir`. */
export interface JobData {
  train: Dataset;
  test: Dataset;
}

/** Engine settings of a pipeline job, and the attacks as the job named them. */
export interface PipelinePlan {
  kind: 'pipeline';
  settings: PipelineSettings;
  attacks: AttackSpec[];
  threatModel: ThreatModel;
  /** Test images the data loader keeps (the tiny preset tests on the evaluated images only). */
  testLimit?: number;
}
export interface SearchPlan {
  kind: 'search';
  search: SearchSettings;
  selection: SelectionSettings;
}
export interface TrainPlan {
  kind: 'train';
  training: TrainSettings;
}
export interface EvaluatePlan {
  kind: 'evaluate';
  evaluate: EvaluateSettings;
}
/** A study's settings: its data sets load per row (runStudyJob), not with the job. */
export interface StudyPlan {
  kind: 'study';
  settings: StudySettings;
}
export type JobPlan = PipelinePlan | SearchPlan | TrainPlan | EvaluatePlan | StudyPlan;

/** Resolves a job's settings with the engine's presets; throws a ContractError naming a bad field. */
export function planJob(job: Job): JobPlan {
  switch (job.kind) {
    case 'pipeline':
      return planPipeline(job);
    case 'search':
      return planSearch(job);
    case 'train':
      return { kind: 'train', training: resolveTrainSettings(job.train, job.dataset.name) };
    case 'evaluate':
      return { kind: 'evaluate', evaluate: evaluateSettings(job.evaluate) };
    case 'study':
      return { kind: 'study', settings: resolveStudySettings(job.study) };
  }
}

/** Images a pipeline evaluates: as given, else the tiny preset's TINY_PIPELINE.evalExamples (else all). */
export function pipelineEvalExamples(preset: SearchPreset, given: number | undefined): number | undefined {
  return given ?? (preset === 'tiny' ? TINY_PIPELINE.evalExamples : undefined);
}

/** Test images a pipeline loads: as given, else the tiny preset tests on the evaluated images only. */
export function pipelineTestLimit(
  preset: SearchPreset,
  examples: number | undefined,
  given?: number,
): number | undefined {
  return given ?? (preset === 'tiny' ? examples : undefined);
}

function evaluateSettings(config: EvaluateConfig, examples = config.examples): EvaluateSettings {
  return {
    threatModel: config.threatModel,
    attacks: config.attacks,
    ...(examples !== undefined && { examples }),
    ...(config.batchSize !== undefined && { batchSize: config.batchSize }),
    ...(config.cascade !== undefined && { cascade: config.cascade }),
  };
}

function planSearch(job: SearchJob | PipelineJob): SearchPlan {
  const search = resolveSearchSettings(job.search, job.dataset.name, {
    ...(job.dataset.trainLimit !== undefined && { trainLimit: job.dataset.trainLimit }),
  });
  return { kind: 'search', search, selection: resolveSelectionSettings(job.selection, search.preset) };
}

function planPipeline(job: PipelineJob): PipelinePlan {
  const { search, selection } = planSearch(job);
  const training = resolvePipelineTraining(definedOnly(job.train), job.dataset.name, search, selection);
  const evaluate = evaluateSettings(job.evaluate, pipelineEvalExamples(search.preset, job.evaluate.examples));
  const testLimit = pipelineTestLimit(search.preset, evaluate.examples, job.dataset.testLimit);
  return {
    kind: 'pipeline',
    settings: { dataset: job.dataset.name, seed: job.seed, search, selection, training, evaluate },
    attacks: job.evaluate.attacks,
    threatModel: job.evaluate.threatModel,
    ...(testLimit !== undefined && { testLimit }),
  };
}

/** Loads the data a planned job of one data set trains and tests on. */
export async function loadJobData(job: SingleJob, plan: JobPlan, dataDir: string): Promise<JobData> {
  const trainLimit =
    plan.kind === 'search'
      ? plan.search.trainLimit
      : plan.kind === 'pipeline'
        ? plan.settings.search.trainLimit
        : job.dataset.trainLimit;
  const testLimit = plan.kind === 'pipeline' ? plan.testLimit : job.dataset.testLimit;
  return loadDataset({
    name: job.dataset.name,
    dataDir,
    seed: job.seed,
    ...(trainLimit != null && { trainLimit }),
    ...(testLimit !== undefined && { testLimit }),
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
