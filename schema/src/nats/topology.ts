import type { ConsumerConfig, JetStreamClient, JetStreamManager, KV, ObjectStore, StreamConfig } from 'nats';
import { ErrorCode, LrnasError } from '../errors.js';
import {
  ARTIFACTS_BUCKET,
  CANCEL_TTL_MS,
  CANCELS_BUCKET,
  TOPOLOGY,
  WORKERS_BUCKET,
  type ConsumerSpec,
  type StreamSpec,
} from '../names.js';
import { PRESENCE_TTL_MS } from '../presence.js';

/** A stream or consumer exists with settings that cannot be changed in place. */
export class TopologyMismatchError extends LrnasError {
  constructor(message: string) {
    super(ErrorCode.TOPOLOGY_MISMATCH, message);
  }
}

/** How the streams and buckets are stored on the NATS deployment. */
export interface TopologyOptions {
  /** Copies of every stream and bucket: 1 on a single server, 3 on a three-node JetStream cluster. */
  replicas?: number;
}

/** What ensureTopology did, for logs and tests. */
export interface TopologyReport {
  created: string[];
  updated: string[];
  verified: string[];
}

/**
 * Creates the streams and consumers of the contract, or verifies that existing ones match it.
 * Settings JetStream can change in place (subjects, max deliveries...) are updated, except a
 * consumer's AckWait, which is kept as the operator set it;
 * ones it cannot (retention, storage, ack policy) raise a TopologyMismatchError naming the field,
 * because silently recreating a stream would lose stored jobs and events.
 */
export async function ensureTopology(jsm: JetStreamManager, options: TopologyOptions = {}): Promise<TopologyReport> {
  const report: TopologyReport = { created: [], updated: [], verified: [] };
  const replicas = options.replicas ?? 1;
  for (const spec of TOPOLOGY.streams) await ensureStream(jsm, spec, replicas, report);
  for (const spec of TOPOLOGY.consumers) await ensureConsumer(jsm, spec, report);
  return report;
}

async function ensureStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
  replicas: number,
  report: TopologyReport,
): Promise<void> {
  const wanted = { ...spec, subjects: [...spec.subjects], num_replicas: replicas } as unknown as StreamConfig;
  const existing = await notFoundAsUndefined(jsm.streams.info(spec.name));
  if (!existing) {
    await jsm.streams.add(wanted);
    report.created.push(`stream ${spec.name}`);
    return;
  }
  const have = existing.config;
  for (const field of ['retention', 'storage'] as const) {
    if (have[field] !== wanted[field]) {
      throw new TopologyMismatchError(
        `stream ${spec.name}: ${field} is ${have[field]} but the contract says ${wanted[field]}; ` +
          `it cannot change in place (back up and delete the stream to recreate it)`,
      );
    }
  }
  const changed =
    JSON.stringify([...have.subjects].sort()) !== JSON.stringify([...wanted.subjects].sort()) ||
    have.duplicate_window !== wanted.duplicate_window ||
    have.num_replicas !== wanted.num_replicas ||
    (wanted.max_age !== undefined && have.max_age !== wanted.max_age);
  if (changed) {
    await jsm.streams.update(spec.name, { ...have, ...wanted });
    report.updated.push(`stream ${spec.name}`);
  } else {
    report.verified.push(`stream ${spec.name}`);
  }
}

async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec, report: TopologyReport): Promise<void> {
  const { stream, ...rest } = spec;
  const wanted = rest as unknown as ConsumerConfig;
  const label = `consumer ${stream}/${spec.durable_name}`;
  const existing = await notFoundAsUndefined(jsm.consumers.info(stream, spec.durable_name));
  if (!existing) {
    await jsm.consumers.add(stream, wanted);
    report.created.push(label);
    return;
  }
  const have = existing.config;
  for (const field of ['ack_policy', 'deliver_policy'] as const) {
    if (have[field] !== wanted[field]) {
      throw new TopologyMismatchError(
        `${label}: ${field} is ${have[field]} but the contract says ${wanted[field]}; ` +
          `it cannot change in place (delete the consumer to recreate it)`,
      );
    }
  }
  // AckWait is left as found: operators tune it to their slowest step, and workers read it from
  // the consumer (their heartbeat follows it), so the contract's value is only the default.
  const mutable = ['filter_subject', 'max_deliver', 'max_ack_pending'] as const;
  if (mutable.some((field) => have[field] !== wanted[field])) {
    await jsm.consumers.update(stream, spec.durable_name, {
      filter_subject: wanted.filter_subject,
      max_deliver: wanted.max_deliver,
      max_ack_pending: wanted.max_ack_pending,
    });
    report.updated.push(label);
  } else {
    report.verified.push(label);
  }
}

async function notFoundAsUndefined<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    const apiCode = (error as { api_error?: { code?: number } }).api_error?.code;
    if (apiCode === 404) return undefined;
    throw error;
  }
}

/** The key-value buckets and the object store of the contract. */
export interface Buckets {
  /** Worker presence records, expiring unless refreshed. */
  workers: KV;
  /** Cancel requests by run id. */
  cancels: KV;
  /** Checkpoints, weights, genotypes and reports, under `<runId>/`. */
  artifacts: ObjectStore;
}

/** Opens the contract's buckets, creating missing ones with the deployment's replicas. */
export async function openBuckets(js: JetStreamClient, options: TopologyOptions = {}): Promise<Buckets> {
  const replicas = options.replicas ?? 1;
  return {
    workers: await js.views.kv(WORKERS_BUCKET, { ttl: PRESENCE_TTL_MS, history: 1, replicas }),
    cancels: await js.views.kv(CANCELS_BUCKET, { ttl: CANCEL_TTL_MS, history: 1, replicas }),
    artifacts: await js.views.os(ARTIFACTS_BUCKET, { replicas }),
  };
}
