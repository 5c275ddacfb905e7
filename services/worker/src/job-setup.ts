import type { AttackSpec, EvaluateConfig, Job, PipelineJob, SearchJob, ThreatModel } from '@lrnas/schema';
import {
  loadDataset,
  resolveSearchSettings,
  resolvePipelineTraining,
  resolveSelectionSettings,
  resolveTrainSettings,
  TINY_PIPELINE,
  type Dataset,
  type EvaluateSettings,
  type PipelineSettings,
  type SearchSettings,
  type SelectionSettings,
  type TrainSettings,
} from '@lrnas/engine';

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
export type JobPlan = PipelinePlan | SearchPlan | TrainPlan | EvaluatePlan;

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
  }
}

function evaluateSettings(config: EvaluateConfig, defaultExamples?: number): EvaluateSettings {
  const examples = config.examples ?? defaultExamples;
  return {
    threatModel: config.threatModel,
    attacks: config.attacks,
    ...(examples !== undefined && { examples }),
    ...(config.batchSize !== undefined && { batchSize: config.batchSize }),
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
  const tiny = search.preset === 'tiny';
  const training = resolvePipelineTraining(definedOnly(job.train), job.dataset.name, search, selection);
  const evaluate = evaluateSettings(job.evaluate, tiny ? TINY_PIPELINE.evalExamples : undefined);
  const testLimit = job.dataset.testLimit ?? (tiny ? evaluate.examples : undefined);
  return {
    kind: 'pipeline',
    settings: { dataset: job.dataset.name, seed: job.seed, search, selection, training, evaluate },
    attacks: job.evaluate.attacks,
    threatModel: job.evaluate.threatModel,
    ...(testLimit !== undefined && { testLimit }),
  };
}

/** Loads the data a planned job trains and tests on. */
export async function loadJobData(job: Job, plan: JobPlan, dataDir: string): Promise<JobData> {
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
