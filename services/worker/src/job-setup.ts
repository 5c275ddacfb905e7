import type { AttackSpec, EvaluateJob, Job, PipelineJob, SearchJob, ThreatModel, TrainJob } from '@lrnas/schema';
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
export type JobPlan = PipelinePlan | SearchPlan | TrainPlan;

/** Thrown for a job kind this worker does not run yet; the job fails with this message. */
export class UnsupportedJobError extends Error {}

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
      return unsupported(job);
  }
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
  const examples = job.evaluate.examples ?? (tiny ? TINY_PIPELINE.evalExamples : undefined);
  const evaluate: EvaluateSettings = {
    threatModel: job.evaluate.threatModel,
    attacks: job.evaluate.attacks,
    ...(examples !== undefined && { examples }),
    ...(job.evaluate.batchSize !== undefined && { batchSize: job.evaluate.batchSize }),
  };
  const testLimit = job.dataset.testLimit ?? (tiny ? examples : undefined);
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
    plan.kind === 'train'
      ? job.dataset.trainLimit
      : (plan.kind === 'search' ? plan.search : plan.settings.search).trainLimit;
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

function unsupported(job: EvaluateJob): never {
  throw new UnsupportedJobError(`${job.kind} jobs are not run by this worker version yet`);
}

export type { TrainJob };
