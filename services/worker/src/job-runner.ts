import fs from 'node:fs/promises';
import path from 'node:path';
import type { JetStreamClient, JsMsg, KV, NatsConnection, ObjectStore } from 'nats';
import type { Buckets } from '@lrnas/schema/nats';
import {
  cancelSubject,
  ContractError,
  ErrorCode,
  jobCodec,
  JOBS_CONSUMER,
  JOBS_STREAM,
  LrnasError,
  RUN_ID_PATTERN,
  type Job,
} from '@lrnas/schema';
import { EVENT_KEY_HEADER, isEventKey } from '@lrnas/schema/node';
import { RunEventPublisher } from './event-publisher.js';
import { within } from './deadline.js';
import { executeJob } from './job-execution.js';
import type { JobOutcome, WorkerObserver } from './metrics.js';
import { PublishedEvents, withoutRepeats } from './published-events.js';
import { RunArtifacts } from './run-artifacts.js';
import { readRunHistory } from './run-history.js';

/** What the job runner needs. */
export interface JobRunnerOptions {
  nc: NatsConnection;
  workerId: string;
  /** The backend's name, as an engine thread starts it (initBackend). */
  backend: string;
  /** The backend as runs record it (backendLabel: with the WebGPU adapter); default `backend`. */
  backendLabel?: string;
  dataDir: string;
  /** Parent of every job's working folder. */
  workDir: string;
  /** Jobs run at once. */
  concurrency: number;
  /** `working()` interval; default a quarter of the consumer's AckWait. */
  heartbeatMs?: number;
  log: (line: string) => void;
  /** Told when the set of running jobs changes (the presence record lists them). */
  onJobsChanged?: (runIds: string[]) => void;
  /** Open buckets of the contract (artifact store, cancel requests). */
  buckets: Pick<Buckets, 'artifacts' | 'cancels'>;
  /** Told of jobs, epochs, attacks and errors (Prometheus). */
  observer?: WorkerObserver;
}

/** A started job runner. */
export interface JobRunner {
  /** Run ids of the jobs in progress. */
  readonly running: ReadonlySet<string>;
  /** Stops pulling, interrupts running jobs and hands them back to the queue (nak); resolves when all stopped. */
  stop(): Promise<void>;
}

/** How long one pull waits for a job, so that a stop is noticed within this time. */
const PULL_EXPIRES_MS = 2000;
/** How long reading a run's earlier events may take before the attempt fails (and is retried). */
const HISTORY_MS = 60_000;
/** Delay before a job handed back after a transient failure is offered again. */
const RETRY_DELAY_MS = 5000;

/** Starts `concurrency` pull loops on the shared durable consumer, one job at a time each. */
export async function startJobRunner(options: JobRunnerOptions): Promise<JobRunner> {
  const js = options.nc.jetstream();
  const consumer = await js.consumers.get(JOBS_STREAM, JOBS_CONSUMER);
  // AckWait and max deliveries are the shared consumer's, as its operator set them.
  const { config } = await consumer.info();
  const services: JobServices = {
    js,
    store: options.buckets.artifacts,
    cancels: options.buckets.cancels,
    // JetStream's default AckWait is 30 s.
    heartbeatMs: options.heartbeatMs ?? (config.ack_wait ?? 30_000_000_000) / 1_000_000 / 4,
    maxDeliver: (config.max_deliver ?? -1) > 0 ? (config.max_deliver as number) : Infinity,
  };
  const stopping = new AbortController();
  const running = new Set<string>();
  const changed = () => options.onJobsChanged?.([...running]);

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (error) {
        if (stopping.signal.aborted) return;
        options.log(`pulling a job failed: ${String(error)}`);
        await delay(1000);
        continue;
      }
      if (!msg) continue;
      await handleJobMessage(msg, services, options, stopping.signal, {
        started: (runId) => {
          running.add(runId);
          changed();
        },
        finished: (runId) => {
          running.delete(runId);
          changed();
        },
      });
    }
  };
  const loops = Array.from({ length: options.concurrency }, () =>
    loop().catch((error: unknown) => options.log(`job loop ended: ${String(error)}`)),
  );
  return {
    running,
    stop: async () => {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/** What one job message's handling needs besides the runner's options. */
interface JobServices {
  js: JetStreamClient;
  store: ObjectStore;
  cancels: KV;
  heartbeatMs: number;
  maxDeliver: number;
}

/**
 * Runs one job message to its end: decodes it (a bad one is terminated with a FAILED event),
 * restores the run's stored state, runs it with heartbeats and a cancel subscription, stores its
 * files and final status and then settles the message: ack when finished, nak when handed back,
 * term when it can never succeed.
 */
async function handleJobMessage(
  msg: JsMsg,
  services: JobServices,
  options: JobRunnerOptions,
  stopSignal: AbortSignal,
  track: { started(runId: string): void; finished(runId: string): void },
): Promise<void> {
  const { js } = services;
  const attempt = msg.info.deliveryCount;
  const eventKey = msg.headers?.get(EVENT_KEY_HEADER);
  let job: Job;
  try {
    if (!isEventKey(eventKey)) {
      throw new ContractError(
        EVENT_KEY_HEADER,
        'no event key in the job header: the gateway could not trust its events',
      );
    }
    job = jobCodec.decode(msg.data);
  } catch (error) {
    await refuseMalformed(msg, js, options, attempt, error);
    return;
  }
  const { runId } = job;
  const events = new RunEventPublisher(js, runId, attempt, eventKey);
  const workDir = path.join(options.workDir, runId);
  const artifacts = new RunArtifacts(services.store, runId, workDir, events);
  const abort = new AbortController();
  let cancelled = false;
  const cancelSub = options.nc.subscribe(cancelSubject(runId), {
    callback: () => {
      cancelled = true;
      abort.abort();
    },
  });
  const onStop = () => abort.abort();
  stopSignal.addEventListener('abort', onStop);
  // A timer, not per-event calls: one epoch or one evaluation may outlast AckWait without an event.
  const heartbeat = setInterval(() => {
    msg.working();
    options.observer?.heartbeat();
  }, services.heartbeatMs);
  track.started(runId);
  options.observer?.jobStarted();
  let outcomeLabel: JobOutcome = 'handed_back';
  options.log(`run ${runId}: ${job.kind} job, attempt ${attempt}`);
  try {
    let settle: 'ack' | 'nak' | 'term';
    try {
      // A job cancelled while it waited in the queue is dropped unrun.
      if (await cancelRequested(services.cancels, runId)) {
        events.emit({ type: 'log', level: 'info', message: 'cancelled while queued; not run' });
        events.emit({ type: 'status', status: 'CANCELLED' });
        await events.flush();
        msg.ack();
        outcomeLabel = 'cancelled';
        options.log(`run ${runId}: cancelled while queued; ack`);
        return;
      }
      events.emit({
        type: 'status',
        status: 'RUNNING',
        workerId: options.workerId,
        backend: options.backendLabel ?? options.backend,
      });
      // A redelivery continues from what earlier deliveries stored and does not report it again.
      const restored = await artifacts.restore();
      if (restored.length > 0) {
        const message = `attempt ${attempt} continues from the stored ${restored.sort().join(', ')}`;
        events.emit({ type: 'log', level: 'info', message });
        options.log(`run ${runId}: ${message}`);
      }
      const history = attempt > 1 ? await within(readRunHistory(js, runId), HISTORY_MS, 'reading earlier events') : [];
      const published = PublishedEvents.of(history);
      const outcome = await executeJob(job, {
        workerId: options.workerId,
        backend: options.backend,
        ...(options.backendLabel !== undefined && { backendLabel: options.backendLabel }),
        dataDir: options.dataDir,
        workDir,
        signal: abort.signal,
        sink: withoutRepeats(events, published),
        artifacts,
        store: services.store,
        ...(options.observer && { observer: options.observer }),
      });
      // Results, or the checkpoint written on the way out, are stored before anything is settled. A
      // cancelled run never resumes, so its last checkpoint is not uploaded (only what is on its way).
      if (outcome === 'completed' || !cancelled) artifacts.sync();
      await artifacts.flush();
      if (outcome === 'completed') {
        events.emit({ type: 'status', status: 'SUCCEEDED' });
        settle = 'ack';
        outcomeLabel = 'succeeded';
      } else if (cancelled) {
        events.emit({ type: 'status', status: 'CANCELLED' });
        settle = 'ack';
        outcomeLabel = 'cancelled';
      } else {
        // Stopped by the worker's shutdown: the checkpoint is stored; another delivery resumes.
        events.emit({ type: 'log', level: 'info', message: `worker ${options.workerId} stopped; job handed back` });
        settle = 'nak';
      }
    } catch (error) {
      const final = isPermanent(error) || attempt >= services.maxDeliver;
      const failure = errorOf(error);
      events.emit(
        final
          ? { type: 'status', status: 'FAILED', error: failure }
          : { type: 'log', level: 'error', message: `attempt ${attempt} failed: ${failure.message}` },
      );
      settle = final ? 'term' : 'nak';
      if (final) outcomeLabel = 'failed';
      options.observer?.error(failure.code);
      options.log(`run ${runId}: ${final ? 'failed' : 'attempt failed'}: ${failure.message}`);
    }
    // Settle only once JetStream holds the final events (if that fails, AckWait redelivers the job)
    // and the scratch folder is gone (the store holds what a later delivery needs), so a settled
    // job has nothing of it left on this worker.
    await events.flush();
    await fs.rm(workDir, { recursive: true, force: true });
    if (settle === 'ack') msg.ack();
    else if (settle === 'term') msg.term();
    else msg.nak(cancelled || stopSignal.aborted ? 0 : RETRY_DELAY_MS);
    options.log(`run ${runId}: ${settle}`);
  } catch (error) {
    options.log(`run ${runId}: events could not be stored, leaving the job to redelivery: ${String(error)}`);
  } finally {
    clearInterval(heartbeat);
    stopSignal.removeEventListener('abort', onStop);
    cancelSub.unsubscribe();
    track.finished(runId);
    options.observer?.jobEnded(job.kind, outcomeLabel);
  }
}

async function cancelRequested(cancels: KV, runId: string): Promise<boolean> {
  const entry = await cancels.get(runId);
  return entry?.operation === 'PUT';
}

/** Terminates an undecodable job, telling its run why when the message names one. */
async function refuseMalformed(
  msg: JsMsg,
  js: JetStreamClient,
  options: JobRunnerOptions,
  attempt: number,
  error: unknown,
): Promise<void> {
  const reason = `malformed job: ${errorOf(error).message}`;
  const runId = runIdOf(msg.data);
  // Without its run's key the FAILED event would be refused by the gateway as unsigned.
  const eventKey = msg.headers?.get(EVENT_KEY_HEADER);
  try {
    if (runId && isEventKey(eventKey)) {
      const events = new RunEventPublisher(js, runId, attempt, eventKey);
      events.emit({ type: 'status', status: 'FAILED', error: { code: ErrorCode.BAD_MESSAGE, message: reason } });
      await events.flush();
    }
    options.log(`${runId ? `run ${runId}` : `job message ${msg.seq}`}: ${reason}; terminated`);
    // No reason text: older servers ignore a "+TERM reason" ack; the FAILED event carries the reason.
    msg.term();
  } catch (publishError) {
    options.log(`job message ${msg.seq}: ${reason}; its FAILED event was not stored: ${String(publishError)}`);
  }
}

/** The run id of a message that failed validation, if it has a usable one. */
function runIdOf(data: Uint8Array): string | undefined {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as { runId?: unknown };
    return typeof value?.runId === 'string' && RUN_ID_PATTERN.test(value.runId) ? value.runId : undefined;
  } catch {
    return undefined;
  }
}

/** Errors that a redelivery cannot fix: bad settings or data, missing weights. */
function isPermanent(error: unknown): boolean {
  return (
    error instanceof LrnasError &&
    ([ErrorCode.BAD_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT] as string[]).includes(error.code)
  );
}

function errorOf(error: unknown): { code: string; message: string } {
  const code = error instanceof LrnasError ? error.code : 'ENGINE_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message: message.slice(0, 8000) };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
