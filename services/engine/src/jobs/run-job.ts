import fs from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, LrnasError, type Job } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import type { EdgeMatrices } from '../search/space.js';
import { loadExportedModel } from '../files/model-export.js';
import { JOB_FILES, writeJson } from './files.js';
import { runPipeline } from './pipeline.js';
import { runStudyJob } from './study-job.js';
import { loadJobData, planJob, type JobData } from './plan.js';
import {
  openSearch,
  openTraining,
  runEvaluateStage,
  runSearchStage,
  runSelectStage,
  runTrainStage,
  type JobEvent,
  type JobNetwork,
  type StageIo,
} from './stages.js';

/**
 * What a job runs with besides its message. Plain data, a callback and a signal: what a worker thread
 * can be handed, so that a later caller may run the job off its main thread.
 */
export interface RunJobOptions {
  /** Where the CIFAR and SVHN files are (the packaged sets need none). */
  dataDir: string;
  /** The job's folder: its checkpoints and outputs (JOB_FILES). Files of an earlier attempt there are resumed. */
  workDir: string;
  /** An evaluate job's model: the exported model folder of the training it attacks. */
  modelDir?: string;
  /** Receives every event of the job, in order. */
  onEvent?: (event: JobEvent) => void;
  /** Stops the job between batches, leaving a checkpoint to resume from. */
  signal?: AbortSignal;
  /**
   * Engine threads of a search: a pipeline's and a study's default is $LRNAS_THREADS, else the machine's
   * cores (runPipeline, runStudyJob); a search job's is 1.
   */
  threads?: number;
}

/** How a job ended: every stage done, or stopped by its signal. */
export type RunJobStatus = 'completed' | 'cancelled';

/**
 * Runs a decoded job message through its stages: plans its settings, loads its data, and searches,
 * selects, trains or evaluates in `workDir`, resuming what an earlier attempt left there. Throws a
 * ContractError or LrnasError for settings, data or files that no retry can fix.
 */
export async function runJob(job: Job, options: RunJobOptions): Promise<RunJobStatus> {
  const plan = planJob(job);
  if (job.kind === 'study' || plan.kind === 'study') {
    // A study loads each of its data sets itself, as its rows need them.
    if (job.kind !== 'study' || plan.kind !== 'study')
      throw new LrnasError(ErrorCode.BAD_INPUT, `a ${job.kind} job was planned as ${plan.kind}`);
    await fs.mkdir(options.workDir, { recursive: true });
    return runStudyJob(job, plan.settings, options);
  }
  const data = await loadJobData(job, plan, options.dataDir);
  await fs.mkdir(options.workDir, { recursive: true });
  const io: StageIo = {
    emit: (event) => options.onEvent?.(event),
    ...(options.signal && { signal: options.signal }),
  };
  const announce = (channels: number, layers: number): void =>
    io.emit({ type: 'network', network: networkOf(data, channels, layers) });
  const dir = options.workDir;
  switch (plan.kind) {
    case 'pipeline': {
      announce(plan.settings.selection.channels, plan.settings.selection.layers);
      const pipeline = { ...plan.settings, ...data, outDir: dir };
      const result = await runPipeline(pipeline, {
        onEvent: io.emit,
        ...(io.signal && { signal: io.signal }),
        ...(options.threads !== undefined && { threads: options.threads }),
      });
      return result.status;
    }
    case 'search': {
      announce(plan.selection.channels, plan.selection.layers);
      const opened = await openSearch(dir, data.train, { ...plan, seed: job.seed });
      let alphas: EdgeMatrices;
      try {
        const result = await runSearchStage(opened, io, { threads: options.threads ?? 1 });
        if (result.status !== 'completed') return 'cancelled';
        alphas = result.alphas;
      } finally {
        opened.run.dispose();
      }
      io.emit({ type: 'stage', stage: 'search', status: 'completed' });
      await runSelectStage(dir, alphas, plan.selection, data.train, io);
      io.emit({ type: 'stage', stage: 'select', status: 'completed' });
      return 'completed';
    }
    case 'train': {
      if (job.kind !== 'train') break;
      announce(plan.training.channels, plan.training.layers);
      const opened = await openTraining(dir, data, { genotype: job.genotype, settings: plan.training, seed: job.seed });
      try {
        // The gateway links evaluations to the architecture a genotype event names, so it goes first.
        const result = await runTrainStage(opened, data, io, { announce: true });
        if (result.status !== 'completed') return 'cancelled';
        const { genotype } = opened.trainer;
        const params = countParameters(genotype, opened.trainer.network.shape);
        await writeJson(path.join(dir, JOB_FILES.report), {
          format: 'lrnas-train-report',
          genotype,
          params,
          training: result.history,
        });
      } finally {
        opened.trainer.dispose();
      }
      io.emit({ type: 'stage', stage: 'train', status: 'completed' });
      return 'completed';
    }
    case 'evaluate': {
      if (!options.modelDir) throw new LrnasError(ErrorCode.BAD_INPUT, 'an evaluate job needs the folder of its model');
      const loaded = await loadExportedModel(options.modelDir);
      try {
        io.emit({ type: 'network', network: { ...loaded.network.shape, imageSize: data.test.height } });
        const settings = { ...plan.evaluate, seed: job.seed };
        const report = await runEvaluateStage(dir, loaded.network, data.test, settings, io);
        if (!report) return 'cancelled';
      } finally {
        loaded.network.dispose();
      }
      io.emit({ type: 'stage', stage: 'evaluate', status: 'completed' });
      return 'completed';
    }
  }
  throw new LrnasError(ErrorCode.BAD_INPUT, `a ${job.kind} job was planned as ${plan.kind}`);
}

function networkOf(data: JobData, channels: number, layers: number): JobNetwork {
  return {
    channels,
    layers,
    classes: data.train.classes,
    inputChannels: data.train.channels,
    imageSize: data.train.height,
  };
}
