import path from 'node:path';
import type { ObjectStore } from 'nats';
import { ErrorCode, LrnasError, type EvaluateJob, type Job } from '@lrnas/schema';
import { MODEL_JSON, runJobOffThread, type JobEvent, type RunJobStatus } from '@lrnas/engine';
import { forwardEngineEvent, forwardStudyEvent, type EventSink, type ForwardingContext } from '@lrnas/engine';
import { ProgressReporter, progressOf } from './progress-reporter.js';
import type { WorkerObserver } from './metrics.js';
import { downloadPrefix, type RunArtifacts } from './run-artifacts.js';

/** What a job execution needs from the worker around it. */
export interface ExecutionContext {
  workerId: string;
  /** The backend's name, as the job's engine thread starts it. */
  backend: string;
  /** The backend as runs and evaluations record it (with the WebGPU adapter); default `backend`. */
  backendLabel?: string;
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
export type ExecutionOutcome = RunJobStatus;

/**
 * Runs a decoded job through the engine's runJob on an engine thread, forwarding its events: the
 * adapter between a job message and the engine. An evaluate job's model is fetched from the artifact store first. Throws
 * what the engine throws.
 */
export async function executeJob(job: Job, context: ExecutionContext): Promise<ExecutionOutcome> {
  const modelDir = job.kind === 'evaluate' ? await fetchSourceModel(job, context) : undefined;
  const progress = new ProgressReporter((body) => context.sink.emit(body));
  try {
    // On a thread of its own: this thread keeps heartbeats, events, presence and cancels going
    // however long a training step or an estimate takes.
    return await runJobOffThread(job, {
      backend: context.backend,
      dataDir: context.dataDir,
      workDir: context.workDir,
      ...(modelDir !== undefined && { modelDir }),
      signal: context.signal,
      onEvent: forwarder(context, job, progress),
    });
  } finally {
    progress.close();
  }
}

/**
 * The engine-event callback of a job: forwards to contract events, coalesces the engine's counts
 * into progress events, says where a resumed stage picked up, and syncs the work folder to the artifact store after every checkpoint and finished stage.
 */
function forwarder(context: ExecutionContext, job: Job, progress: ProgressReporter): (event: JobEvent) => void {
  if (job.kind === 'study') return studyForwarder(context, progress);
  const evaluation = job.kind === 'pipeline' || job.kind === 'evaluate' ? job.evaluate : undefined;
  let forwardContext: ForwardingContext | undefined;
  const resumed = new Set<string>();
  return (event) => {
    if (event.type === 'network') {
      forwardContext = {
        workerId: context.workerId,
        backend: context.backendLabel ?? context.backend,
        seed: job.seed,
        network: event.network,
        attacks: evaluation?.attacks ?? [],
        threatModel: evaluation?.threatModel ?? { norm: 'linf', epsilon: 0 },
      };
      return;
    }
    if (!forwardContext) throw new Error(`engine event ${event.type} came before the job's network`);
    if (event.type === 'stage' && event.status === 'resumed') resumed.add(event.stage);
    if ((event.type === 'search' || event.type === 'train') && event.event.type === 'step') {
      if (resumed.delete(event.type)) {
        const message = `${event.type} resumed from its checkpoint at step ${event.event.step}`;
        context.sink.emit({ type: 'log', level: 'info', message });
      }
    }
    forwardEngineEvent(event, context.sink, forwardContext);
    const count = progressOf(event);
    if (count) progress.report(count);
    observe(event, context.observer);
    const checkpointed = (event.type === 'search' || event.type === 'train') && event.event.type === 'checkpoint';
    if (checkpointed || (event.type === 'stage' && event.status === 'completed')) context.artifacts.sync();
  };
}

/**
 * The engine-event callback of a study job: rows and row stages as contract events (forwardStudyEvent), the
 * running row's counts as progress, and the work folder synced after every checkpoint and every finished row, so
 * that a redelivered study resumes with the rows it had.
 */
function studyForwarder(context: ExecutionContext, progress: ProgressReporter): (event: JobEvent) => void {
  const backend = context.backendLabel ?? context.backend;
  return (event) => {
    forwardStudyEvent(event, context.sink, { workerId: context.workerId, backend });
    const inner = event.type === 'study-step' ? event.event : undefined;
    if (inner) {
      const count = progressOf(inner);
      if (count) progress.report(count);
      observe(inner, context.observer);
    }
    const checkpointed = (inner?.type === 'search' || inner?.type === 'train') && inner.event.type === 'checkpoint';
    if (checkpointed || event.type === 'study-row' || event.type === 'study-done') context.artifacts.sync();
  };
}

function observe(event: JobEvent, observer: ExecutionContext['observer']): void {
  if (!observer) return;
  if ((event.type === 'search' || event.type === 'train') && event.event.type === 'epoch') {
    observer.epoch(event.type, event.event.seconds);
  } else if (event.type === 'evaluation') {
    for (const attack of event.report.attacks) observer.attack(attack.name, attack.seconds);
  }
}

/**
 * Downloads the weights an evaluate job attacks (model.json and the weights beside it, as a training
 * stored them) into the work folder; returns that folder.
 */
async function fetchSourceModel(job: EvaluateJob, context: ExecutionContext): Promise<string> {
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
  return modelDir;
}
