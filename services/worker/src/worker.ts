import os from 'node:os';
import path from 'node:path';
import { connect, ErrorCode, type ConnectionOptions, type KV, type NatsConnection, type NatsError } from 'nats';
import { natsServers, PRESENCE_INTERVAL_MS, workerPresenceCodec } from '@lrnas/schema';
import { ensureTopology, loginOptions, openBuckets, type Buckets, type TopologyReport } from '@lrnas/schema/nats';
import { backendLabel, initBackend, type BackendInfo } from '@lrnas/engine';
import type { WorkerConfig } from './config.js';
import { presenceRecord } from './presence.js';
import { startJobRunner, type JobRunner } from './job-runner.js';
import { serveMetrics, WorkerMetrics, type MetricsServer } from './metrics.js';

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
  /** Where /metrics and /healthz are served, when they are. */
  readonly metricsUrl?: string;
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
  log(`backend ${backendLabel(backend)} (${backend.device})`);
  const nc = await connect(connectionOptions(config));
  let metricsServer: MetricsServer | undefined;
  try {
    const replicas = { replicas: config.natsReplicas ?? 1 };
    const { topology, buckets } = await topologyWhenReady(nc, replicas, log);
    const kv = buckets.workers;
    const metrics = new WorkerMetrics({ workerId: config.workerId });
    if (config.metricsPort !== undefined) {
      metricsServer = await serveMetrics(metrics, config.metricsPort, () => !nc.isClosed()).catch((error: unknown) => {
        // A port taken (several workers on one host) costs the metrics, not the worker.
        log(`metrics not served on port ${config.metricsPort}: ${(error as Error).message}`);
        return undefined;
      });
      if (metricsServer) log(`metrics on ${metricsServer.url}/metrics`);
    }
    const startedAt = new Date();
    let currentJobs: string[] = [];
    const announce = () =>
      kv
        .put(
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
        )
        .then(() => metrics.presenceWritten());
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
      backendLabel: backendLabel(backend),
      dataDir: config.dataDir,
      workDir: config.workDir ?? path.join(os.tmpdir(), 'lrnas-worker', config.workerId),
      concurrency: config.concurrency,
      ...(tuning.heartbeatMs !== undefined && { heartbeatMs: tuning.heartbeatMs }),
      log,
      buckets,
      observer: metrics,
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
      ...(metricsServer && { metricsUrl: metricsServer.url }),
      stop: async () => {
        await runner.stop();
        clearInterval(timer);
        await withdraw(kv, config.workerId, log);
        await nc.drain();
        await metricsServer?.close();
      },
    };
  } catch (error) {
    await metricsServer?.close();
    await nc.close();
    throw error;
  }
}

/** How often a worker looks again for streams and buckets it may not create itself. */
const TOPOLOGY_RETRY_MS = 2000;

/**
 * Verifies the contract's streams and opens its buckets. A worker's NATS user may not create them
 * (only the gateway's may): while they are missing, it says so once and waits for the gateway.
 */
async function topologyWhenReady(
  nc: NatsConnection,
  replicas: { replicas: number },
  log: (line: string) => void,
): Promise<{ topology: TopologyReport; buckets: Buckets }> {
  for (let told = false; ; told = true) {
    try {
      const topology = await ensureTopology(await nc.jetstreamManager(), replicas);
      return { topology, buckets: await openBuckets(nc.jetstream(), replicas) };
    } catch (error) {
      if ((error as NatsError).code !== ErrorCode.PermissionsViolation) throw error;
      if (!told)
        log(`waiting for the gateway to create the JetStream streams and buckets (${(error as Error).message})`);
      await new Promise((resolve) => setTimeout(resolve, TOPOLOGY_RETRY_MS));
    }
  }
}

function connectionOptions(config: WorkerConfig): ConnectionOptions {
  return {
    servers: natsServers(config.natsUrl, '--nats-url'),
    name: `lrnas-worker ${config.workerId}`,
    maxReconnectAttempts: -1,
    ...loginOptions(config.natsLogin ?? {}),
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
