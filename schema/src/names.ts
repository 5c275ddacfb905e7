import { ContractError } from './errors.js';

/**
 * NATS names: subjects, streams, consumers and buckets. Both the gateway and the workers import
 * these, so a rename happens in one place.
 */

export const JOB_KINDS = ['search', 'train', 'evaluate', 'pipeline', 'study'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const EVENT_TYPES = [
  'status',
  'metric',
  'epoch',
  'snapshot',
  'genotype',
  'evaluation',
  'artifact',
  'log',
  'progress',
  'study-row',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Run ids become subject tokens, so they may not hold dots, spaces or wildcards. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const JOBS_STREAM = 'LRNAS_JOBS';
export const EVENTS_STREAM = 'LRNAS_EVENTS';
/** The one durable pull consumer that all workers share. */
export const JOBS_CONSUMER = 'lrnas-workers';
/** The durable consumer through which the gateway ingests events. */
export const EVENTS_CONSUMER = 'lrnas-gateway-ingest';
/** Object store for checkpoints, trained weights, genotypes and reports. */
export const ARTIFACTS_BUCKET = 'lrnas-artifacts';
/** Key-value bucket where each worker keeps its presence record fresh. */
export const WORKERS_BUCKET = 'lrnas-workers';
/**
 * Key-value bucket of cancel requests, one key per run id. The control subject reaches a worker
 * running the job; this record reaches the worker that picks up a job cancelled while queued.
 */
export const CANCELS_BUCKET = 'lrnas-cancels';
/** How long a cancel request is kept: longer than any job waits in the queue. */
export const CANCEL_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export const JOBS_SUBJECT_PREFIX = 'lrnas.jobs';
export const EVENTS_SUBJECT_PREFIX = 'lrnas.events';
export const CONTROL_SUBJECT_PREFIX = 'lrnas.control';

/** Subject a job of this kind is published on. */
export function jobSubject(kind: JobKind): string {
  return `${JOBS_SUBJECT_PREFIX}.${kind}`;
}

/** Subject an event of this run and type is published on. */
export function eventSubject(runId: string, type: EventType): string {
  assertRunId(runId);
  return `${EVENTS_SUBJECT_PREFIX}.${runId}.${type}`;
}

/** Subject filter that matches every event of `runId`, whatever its type. */
export function runEventsFilter(runId: string): string {
  assertRunId(runId);
  return `${EVENTS_SUBJECT_PREFIX}.${runId}.>`;
}

/** Subject the worker running `runId` watches for a cancel request. */
export function cancelSubject(runId: string): string {
  assertRunId(runId);
  return `${CONTROL_SUBJECT_PREFIX}.${runId}.cancel`;
}

/** Splits an event subject back into run id and type; undefined when it is not one. */
export function parseEventSubject(subject: string): { runId: string; type: EventType } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 4 || `${parts[0]}.${parts[1]}` !== EVENTS_SUBJECT_PREFIX) return undefined;
  const [, , runId, type] = parts as [string, string, string, string];
  if (!RUN_ID_PATTERN.test(runId) || !(EVENT_TYPES as readonly string[]).includes(type)) {
    return undefined;
  }
  return { runId, type: type as EventType };
}

function assertRunId(runId: string): void {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new Error(`run id ${JSON.stringify(runId.slice(0, 80))} is not a valid subject token`);
  }
}

const MINUTE_NS = 60 * 1_000_000_000;

/**
 * JetStream topology as plain data (JetStream's own wire names and values), so the contract does
 * not depend on a client library. `ensureTopology` in `@lrnas/schema/nats` applies it.
 */
export const TOPOLOGY = {
  streams: [
    {
      name: JOBS_STREAM,
      subjects: [`${JOBS_SUBJECT_PREFIX}.*`],
      retention: 'workqueue',
      storage: 'file',
      // A retried start-run mutation republishes with the same Nats-Msg-Id within this window.
      duplicate_window: 10 * MINUTE_NS,
    },
    {
      name: EVENTS_STREAM,
      subjects: [`${EVENTS_SUBJECT_PREFIX}.>`],
      retention: 'limits',
      storage: 'file',
      duplicate_window: 10 * MINUTE_NS,
      max_age: 30 * 24 * 60 * MINUTE_NS,
    },
  ],
  consumers: [
    {
      stream: JOBS_STREAM,
      durable_name: JOBS_CONSUMER,
      ack_policy: 'explicit',
      deliver_policy: 'all',
      filter_subject: `${JOBS_SUBJECT_PREFIX}.*`,
      // Workers heartbeat with working() well inside this; a silent worker loses its job after it.
      ack_wait: 2 * MINUTE_NS,
      max_deliver: 5,
      max_ack_pending: 1000,
    },
    {
      stream: EVENTS_STREAM,
      durable_name: EVENTS_CONSUMER,
      ack_policy: 'explicit',
      deliver_policy: 'all',
      filter_subject: `${EVENTS_SUBJECT_PREFIX}.>`,
      // Ingestion acks after its transaction commits; a gateway that dies mid-batch gets it again.
      ack_wait: MINUTE_NS,
      max_deliver: -1,
      max_ack_pending: 20_000,
    },
  ],
} as const;

export type StreamSpec = (typeof TOPOLOGY.streams)[number];
export type ConsumerSpec = (typeof TOPOLOGY.consumers)[number];

/**
 * The servers of a NATS URL setting: one URL, or a cluster's members separated by commas.
 * Throws a ContractError naming `field` and the first URL that is not one.
 */
export function natsServers(setting: string, field: string): string[] {
  const urls = setting.split(',');
  for (const url of urls) {
    if (!/^(nats|tls|wss?):\/\/[^\s,]+$/.test(url)) {
      throw new ContractError(field, `must look like nats://host:4222, got ${JSON.stringify(url)}`);
    }
  }
  return urls;
}
