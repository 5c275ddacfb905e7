import fs from 'node:fs/promises';
import path from 'node:path';
import type { ObjectStore } from 'nats';
import { ErrorCode, LrnasError, type EvaluateJob, type Genotype, type Job, type TrainJob } from '@lrnas/schema';
import {
  countParameters,
  evaluateModel,
  exportModel,
  loadExportedModel,
  MODEL_JSON,
  PIPELINE_FILES,
  runPipeline,
  SearchRun,
  Trainer,
  writeFileAtomic,
  type PipelineEvent,
  type PipelineStage,
} from '@lrnas/engine';
import { flopsOf, forwardEngineEvent, type EventSink, type ForwardingContext } from './engine-events.js';
import { loadJobData, planJob, type EvaluatePlan, type JobData, type SearchPlan, type TrainPlan } from './job-setup.js';
import type { WorkerObserver } from './metrics.js';
import { downloadPrefix, type RunArtifacts } from './run-artifacts.js';

/** What a job execution needs from the worker around it. */
export interface ExecutionContext {
  workerId: string;
  backend: string;
  dataDir: string;
  /** The job's own folder, restored from the artifact store before the run; engine checkpoints live here. */
  workDir: string;
  signal: AbortSignal;
  sink: EventSink;
  /** Mirrors `workDir` to the artifact store; synced after every checkpoint and stage. */
  artifacts: RunArtifacts;
  /** The artifact store, where an evaluation finds the weights it attacks. */
  store: ObjectStore;
  /** Told how long epochs and attacks took (Prometheus). */
  observer?: Pick<WorkerObserver, 'epoch' | 'attack'>;
}

/** How the engine call ended. */
export type ExecutionOutcome = 'completed' | 'cancelled';

type Network = ForwardingContext['network'];

/** Runs a decoded job through the engine, forwarding its events; throws what the engine throws. */
export async function executeJob(job: Job, context: ExecutionContext): Promise<ExecutionOutcome> {
  const plan = planJob(job);
  const data = await loadJobData(job, plan, context.dataDir);
  await fs.mkdir(context.workDir, { recursive: true });
  const shape = (channels: number, layers: number): Network => ({
    channels,
    layers,
    classes: data.train.classes,
    inputChannels: data.train.channels,
    imageSize: data.train.height,
  });
  switch (plan.kind) {
    case 'pipeline': {
      const { selection } = plan.settings;
      const forward = forwarder(context, job, shape(selection.channels, selection.layers), plan);
      const result = await runPipeline(
        { ...plan.settings, ...data, outDir: context.workDir },
        { signal: context.signal, onEvent: forward },
      );
      return result.status;
    }
    case 'search':
      return runSearch(job, plan, data, context, shape(plan.selection.channels, plan.selection.layers));
    case 'train':
      return runTraining(job as TrainJob, plan, data, context, shape(plan.training.channels, plan.training.layers));
    case 'evaluate':
      return runEvaluation(job as EvaluateJob, plan, data, context);
  }
}

/**
 * The engine-event callback of a job: forwards to contract events, says where a resumed stage picked
 * up, and syncs the work folder to the artifact store after every checkpoint and finished stage.
 */
function forwarder(
  context: ExecutionContext,
  job: Job,
  network: Network,
  evaluation?: Pick<ForwardingContext, 'attacks' | 'threatModel'>,
): (event: PipelineEvent) => void {
  const forwardContext: ForwardingContext = {
    workerId: context.workerId,
    backend: context.backend,
    seed: job.seed,
    network,
    attacks: evaluation?.attacks ?? [],
    threatModel: evaluation?.threatModel ?? { norm: 'linf', epsilon: 0 },
  };
  const resumed = new Set<string>();
  return (event) => {
    if (event.type === 'stage' && event.status === 'resumed') resumed.add(event.stage);
    if ((event.type === 'search' || event.type === 'train') && event.event.type === 'step') {
      if (resumed.delete(event.type)) {
        const message = `${event.type} resumed from its checkpoint at step ${event.event.step}`;
        context.sink.emit({ type: 'log', level: 'info', message });
      }
    }
    forwardEngineEvent(event, context.sink, forwardContext);
    observe(event, context.observer);
    const checkpointed = (event.type === 'search' || event.type === 'train') && event.event.type === 'checkpoint';
    if (checkpointed || (event.type === 'stage' && event.status === 'completed')) context.artifacts.sync();
  };
}

function observe(event: PipelineEvent, observer: ExecutionContext['observer']): void {
  if (!observer) return;
  if ((event.type === 'search' || event.type === 'train') && event.event.type === 'epoch') {
    observer.epoch(event.type, event.event.seconds);
  } else if (event.type === 'evaluation') {
    for (const attack of event.report.attacks) observer.attack(attack.name, attack.seconds);
  }
}

const stageEvent = (stage: PipelineStage, resumed: boolean): PipelineEvent => ({
  type: 'stage',
  stage,
  status: resumed ? 'resumed' : 'started',
});

async function runSearch(
  job: Job,
  plan: SearchPlan,
  data: JobData,
  context: ExecutionContext,
  network: Network,
): Promise<ExecutionOutcome> {
  const forward = forwarder(context, job, network);
  const file = (name: string) => path.join(context.workDir, name);
  const checkpointPath = file(PIPELINE_FILES.searchCheckpoint);
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
    forward({ type: 'stage', stage: 'search', status: 'completed' });
    forward(stageEvent('select', false));
    await writeJson(file(PIPELINE_FILES.alphas), result.alphas);
    await writeJson(file(PIPELINE_FILES.searchHistory), result.history);
    await writeJson(file(PIPELINE_FILES.genotype), { genotype: result.genotype, params: result.params });
    forward({
      type: 'selection',
      genotype: result.genotype,
      params: result.params,
      budget: plan.selection.budget,
      mode: plan.selection.mode,
    });
    forward({ type: 'stage', stage: 'select', status: 'completed' });
    return 'completed';
  } finally {
    run.dispose();
  }
}

async function runTraining(
  job: TrainJob,
  plan: TrainPlan,
  data: JobData,
  context: ExecutionContext,
  network: Network,
): Promise<ExecutionOutcome> {
  const forward = forwarder(context, job, network);
  const file = (name: string) => path.join(context.workDir, name);
  const checkpointPath = file(PIPELINE_FILES.trainCheckpoint);
  const resumed = await exists(checkpointPath);
  const trainer = resumed
    ? await Trainer.resume(checkpointPath, data)
    : new Trainer({ genotype: job.genotype, settings: plan.training, seed: job.seed, ...data });
  try {
    forward(stageEvent('train', resumed));
    // The gateway links evaluations to the architecture a genotype event names, so it goes first.
    const params = countParameters(job.genotype, network);
    const flops = flopsOf(job.genotype, network);
    context.sink.emit({
      type: 'genotype',
      stage: 'train',
      genotype: job.genotype,
      network,
      params,
      flops,
      final: true,
    });
    const result = await trainer.run({
      checkpointPath,
      signal: context.signal,
      onEvent: (event) => forward({ type: 'train', event }),
    });
    if (result.status !== 'completed') return 'cancelled';
    await exportModel(file(PIPELINE_FILES.model), trainer.network, {
      imageHeight: data.train.height,
      imageWidth: data.train.width,
      training: trainer.settings,
      seed: trainer.seed,
      data: trainer.data,
    });
    await writeJson(file(PIPELINE_FILES.report), trainingReport(job.genotype, params, result.history));
    forward({ type: 'stage', stage: 'train', status: 'completed' });
    return 'completed';
  } finally {
    trainer.dispose();
  }
}

function trainingReport(genotype: Genotype, params: number, history: unknown[]) {
  return { format: 'lrnas-train-report', genotype, params, training: history };
}

/**
 * Attacks the weights a training stored: downloads the exported model (model.json and the weights
 * beside it) from the artifact store, evaluates it and stores the evaluation as the run's report.
 */
async function runEvaluation(
  job: EvaluateJob,
  plan: EvaluatePlan,
  data: JobData,
  context: ExecutionContext,
): Promise<ExecutionOutcome> {
  const prefix = job.weights.endsWith(`/${MODEL_JSON}`) ? job.weights.slice(0, -MODEL_JSON.length) : `${job.weights}/`;
  // Dot-named, so the work folder's sync does not store a copy of another run's model.
  const modelDir = path.join(context.workDir, '.source-model');
  const files = await downloadPrefix(context.store, prefix, modelDir);
  if (!files.includes(MODEL_JSON)) {
    throw new LrnasError(
      ErrorCode.NOT_FOUND,
      `weights: run ${job.sourceRunId} stored no model at ${JSON.stringify(prefix)} in the artifact store`,
    );
  }
  const loaded = await loadExportedModel(modelDir);
  try {
    const forward = forwarder(
      context,
      job,
      { ...loaded.network.shape, imageSize: data.test.height },
      { attacks: job.evaluate.attacks, threatModel: job.evaluate.threatModel },
    );
    forward(stageEvent('evaluate', false));
    const report = await evaluateModel({
      ...plan.evaluate,
      network: loaded.network,
      data: data.test,
      seed: job.seed,
      signal: context.signal,
    }).catch((error: unknown) => {
      if (context.signal.aborted) return undefined;
      throw error;
    });
    if (!report) return 'cancelled';
    await writeJson(path.join(context.workDir, PIPELINE_FILES.evaluation), report);
    forward({ type: 'evaluation', report });
    forward({ type: 'stage', stage: 'evaluate', status: 'completed' });
    return 'completed';
  } finally {
    loaded.network.dispose();
  }
}

/** Atomic, so that an upload running meanwhile never reads half a file. */
async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8')]);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
