import fs from 'node:fs/promises';
import path from 'node:path';
import type { Job } from '@lrnas/schema';
import {
  countParameters,
  runPipeline,
  SearchRun,
  Trainer,
  type PipelineEvent,
  type PipelineStage,
} from '@lrnas/engine';
import { forwardEngineEvent, type EventSink, type ForwardingContext } from './engine-events.js';
import { loadJobData, planJob } from './job-setup.js';

/** What a job execution needs from the worker around it. */
export interface ExecutionContext {
  workerId: string;
  backend: string;
  dataDir: string;
  /** The job's own folder: engine checkpoints live here, so a redelivery on this host resumes. */
  workDir: string;
  signal: AbortSignal;
  sink: EventSink;
}

/** How the engine call ended. */
export type ExecutionOutcome = 'completed' | 'cancelled';

/** Runs a decoded job through the engine, forwarding its events; throws what the engine throws. */
export async function executeJob(job: Job, context: ExecutionContext): Promise<ExecutionOutcome> {
  const plan = planJob(job);
  const data = await loadJobData(job, plan, context.dataDir);
  await fs.mkdir(context.workDir, { recursive: true });
  const shape = (channels: number, layers: number) => ({
    channels,
    layers,
    classes: data.train.classes,
    inputChannels: data.train.channels,
    imageSize: data.train.height,
  });
  const forwarding = (network: ForwardingContext['network'], extra: Partial<ForwardingContext> = {}) => {
    const forwardContext: ForwardingContext = {
      workerId: context.workerId,
      backend: context.backend,
      seed: job.seed,
      network,
      attacks: [],
      threatModel: { norm: 'linf', epsilon: 0 },
      ...extra,
    };
    return (event: PipelineEvent) => forwardEngineEvent(event, context.sink, forwardContext);
  };
  const stageEvent = (stage: PipelineStage, resumed: boolean): PipelineEvent => ({
    type: 'stage',
    stage,
    status: resumed ? 'resumed' : 'started',
  });

  switch (plan.kind) {
    case 'pipeline': {
      const { selection } = plan.settings;
      const forward = forwarding(shape(selection.channels, selection.layers), {
        attacks: plan.attacks,
        threatModel: plan.threatModel,
      });
      const result = await runPipeline(
        { ...plan.settings, ...data, outDir: context.workDir },
        { signal: context.signal, onEvent: forward },
      );
      return result.status;
    }
    case 'search': {
      const forward = forwarding(shape(plan.selection.channels, plan.selection.layers));
      const checkpointPath = path.join(context.workDir, 'search.ckpt');
      const resumed = await exists(checkpointPath);
      const expected = { search: plan.search, selection: plan.selection, seed: job.seed };
      const run = resumed
        ? await SearchRun.resume(checkpointPath, data.train, expected)
        : new SearchRun({ settings: plan.search, selection: plan.selection, seed: job.seed, train: data.train });
      try {
        forward(stageEvent('search', resumed));
        const result = await run.run({
          checkpointPath,
          signal: context.signal,
          onEvent: (event) => forward({ type: 'search', event }),
        });
        if (result.status !== 'completed') return 'cancelled';
        forward(stageEvent('select', false));
        forward({
          type: 'selection',
          genotype: result.genotype,
          params: result.params,
          budget: plan.selection.budget,
          mode: plan.selection.mode,
        });
        return 'completed';
      } finally {
        run.dispose();
      }
    }
    case 'train': {
      if (job.kind !== 'train') throw new Error('a train plan belongs to a train job');
      const network = shape(plan.training.channels, plan.training.layers);
      const forward = forwarding(network);
      const checkpointPath = path.join(context.workDir, 'train.ckpt');
      const resumed = await exists(checkpointPath);
      const trainer = resumed
        ? await Trainer.resume(checkpointPath, data)
        : new Trainer({ genotype: job.genotype, settings: plan.training, seed: job.seed, ...data });
      try {
        forward(stageEvent('train', resumed));
        // The gateway links evaluations to the architecture a genotype event names, so it goes first.
        context.sink.emit({
          type: 'genotype',
          stage: 'train',
          genotype: job.genotype,
          network,
          params: countParameters(job.genotype, network),
          final: true,
        });
        const result = await trainer.run({
          checkpointPath,
          signal: context.signal,
          onEvent: (event) => forward({ type: 'train', event }),
        });
        return result.status === 'completed' ? 'completed' : 'cancelled';
      } finally {
        trainer.dispose();
      }
    }
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
