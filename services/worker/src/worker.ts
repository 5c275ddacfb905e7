import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectionOptions, type KV, type NatsConnection } from 'nats';
import { PRESENCE_INTERVAL_MS, PRESENCE_TTL_MS, WORKERS_BUCKET, workerPresenceCodec } from '@lrnas/schema';
import { ensureTopology, type TopologyReport } from '@lrnas/schema/nats';
import { initBackend, type BackendInfo } from '@lrnas/engine';
import type { WorkerConfig } from './config.js';
import { presenceRecord } from './presence.js';
import { startJobRunner, type JobRunner } from './job-runner.js';

/** Settings a test or an embedding process may change; not command-line options. */
export interface WorkerTuning {
  /** `working()` interval in ms; default a quarter of the consumer's AckWait. */
  heartbeatMs?: number;
}

/** A running worker. */
export interface WorkerHandle {
  readonly id: string;
  readonly backend: BackendInfo;
  readonly topology: TopologyReport;
  /** Run ids of the jobs in progress. */
  readonly running: ReadonlySet<string>;
  /** Stops taking jobs, hands running ones back (nak), withdraws the presence record and closes the connection. */
  stop(): Promise<void>;
  /** Resolves when the NATS connection closes, with the error that closed it, if any. */
  readonly closed: Promise<void | Error>;
}

/**
 * Starts a worker: picks the compute backend, connects to NATS, creates or verifies the JetStream
 * topology of the contract and keeps its presence record fresh in the workers bucket.
 */
export async function startWorker(
  config: WorkerConfig,
  log: (line: string) => void = console.log,
  tuning: WorkerTuning = {},
): Promise<WorkerHandle> {
  const backend = await initBackend(config.backend);
  log(`backend ${backend.name} (${backend.device})`);
  const nc = await connect(connectionOptions(config));
  try {
    const topology = await ensureTopology(await nc.jetstreamManager());
    const kv = await nc.jetstream().views.kv(WORKERS_BUCKET, { ttl: PRESENCE_TTL_MS, history: 1 });
    const startedAt = new Date();
    let currentJobs: string[] = [];
    const announce = () =>
      kv.put(
        config.workerId,
        workerPresenceCodec.encode(
          presenceRecord({
            workerId: config.workerId,
            backend,
            concurrency: config.concurrency,
            currentJobs,
            startedAt,
            now: new Date(),
          }),
        ),
      );
    await announce();
    log(`worker ${config.workerId} connected to ${nc.getServer()}; topology: ${summarise(topology)}`);
    const refresh = () => {
      announce().catch((error: unknown) => log(`presence update failed: ${String(error)}`));
    };
    const timer = setInterval(refresh, PRESENCE_INTERVAL_MS);
    const runner: JobRunner = await startJobRunner({
      nc,
      workerId: config.workerId,
      backend: backend.name,
      dataDir: config.dataDir,
      workDir: config.workDir ?? path.join(os.tmpdir(), 'lrnas-worker', config.workerId),
      concurrency: config.concurrency,
      ...(tuning.heartbeatMs !== undefined && { heartbeatMs: tuning.heartbeatMs }),
      log,
      onJobsChanged: (runIds) => {
        currentJobs = runIds;
        refresh();
      },
    });
    return {
      id: config.workerId,
      backend,
      topology,
      running: runner.running,
      closed: nc.closed(),
      stop: async () => {
        await runner.stop();
        clearInterval(timer);
        await withdraw(kv, config.workerId, log);
        await nc.drain();
      },
    };
  } catch (error) {
    await nc.close();
    throw error;
  }
}

function connectionOptions(config: WorkerConfig): ConnectionOptions {
  return {
    servers: config.natsUrl,
    name: `lrnas-worker ${config.workerId}`,
    maxReconnectAttempts: -1,
    ...(config.natsUser !== undefined && { user: config.natsUser, pass: config.natsPassword }),
    ...(config.natsToken !== undefined && { token: config.natsToken }),
  };
}

async function withdraw(kv: KV, workerId: string, log: (line: string) => void): Promise<void> {
  try {
    await kv.delete(workerId);
  } catch (error) {
    log(`could not withdraw presence: ${String(error)}`);
  }
}

function summarise(report: TopologyReport): string {
  const parts = [
    report.created.length ? `created ${report.created.join(', ')}` : '',
    report.updated.length ? `updated ${report.updated.join(', ')}` : '',
    report.verified.length ? `verified ${report.verified.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

export type { NatsConnection };
