import type { ConsumerConfig, JetStreamManager, StreamConfig } from 'nats';
import { ErrorCode, LrnasError } from '../errors.js';
import { TOPOLOGY, type ConsumerSpec, type StreamSpec } from '../names.js';

/** A stream or consumer exists with settings that cannot be changed in place. */
export class TopologyMismatchError extends LrnasError {
  constructor(message: string) {
    super(ErrorCode.TOPOLOGY_MISMATCH, message);
  }
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
export async function ensureTopology(jsm: JetStreamManager): Promise<TopologyReport> {
  const report: TopologyReport = { created: [], updated: [], verified: [] };
  for (const spec of TOPOLOGY.streams) await ensureStream(jsm, spec, report);
  for (const spec of TOPOLOGY.consumers) await ensureConsumer(jsm, spec, report);
  return report;
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, report: TopologyReport): Promise<void> {
  const wanted = { ...spec, subjects: [...spec.subjects] } as unknown as StreamConfig;
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
