import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EventLoopHoldMonitor } from '@lrnas/engine';

/** How a job's delivery ended, as the jobs counter labels it. */
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled' | 'handed_back';

/** What the job runner and executions report to Prometheus; see infra/README.md for the meanings. */
export interface WorkerObserver {
  jobStarted(): void;
  jobEnded(kind: string, outcome: JobOutcome): void;
  epoch(stage: string, seconds: number): void;
  attack(name: string, seconds: number): void;
  error(code: string): void;
  /** A running job's `working()` heartbeat went out. */
  heartbeat(): void;
}

/** The worker's Prometheus metrics, in a registry of their own (with Node's process metrics). */
export class WorkerMetrics implements WorkerObserver {
  readonly registry = new Registry();
  readonly #running = new Gauge({
    name: 'lrnas_worker_running_jobs',
    help: 'Jobs this worker is running now.',
    registers: [this.registry],
  });
  readonly #jobs = new Counter({
    name: 'lrnas_worker_jobs_total',
    help: 'Job deliveries this worker finished, by job kind and outcome.',
    labelNames: ['kind', 'outcome'],
    registers: [this.registry],
  });
  readonly #epochs = new Histogram({
    name: 'lrnas_worker_epoch_seconds',
    help: 'Duration of one search or training epoch.',
    labelNames: ['stage'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 2400, 3600, 7200],
    registers: [this.registry],
  });
  readonly #attacks = new Histogram({
    name: 'lrnas_worker_attack_seconds',
    help: 'Duration of one attack of an evaluation over all its examples.',
    labelNames: ['attack'],
    buckets: [0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: 'lrnas_worker_errors_total',
    help: 'Failed job deliveries, by error code.',
    labelNames: ['code'],
    registers: [this.registry],
  });

  /** When the last heartbeat went out, or the job started; undefined while no job runs. */
  #lastHeartbeat: number | undefined;
  #runningJobs = 0;
  /** When the presence record was last written; undefined before the first. */
  #lastPresence: number | undefined;

  constructor(
    labels: { workerId: string },
    private readonly now: () => number = Date.now,
  ) {
    this.registry.setDefaultLabels({ worker: labels.workerId });
    // Includes nodejs_eventloop_lag_seconds and its percentiles: how long the engine held the thread
    // that heartbeats, publishes events and hears cancels.
    collectDefaultMetrics({ register: this.registry });
    // Ages are computed when scraped, so a stalled worker shows a growing age rather than a stale one.
    const ageOf = (since: number | undefined) => (since === undefined ? 0 : (this.now() - since) / 1000);
    const heartbeatAge: Gauge = new Gauge({
      name: 'lrnas_worker_heartbeat_age_seconds',
      help: "Seconds since a running job's last working() heartbeat went out (0 with no job running); past the consumer's AckWait JetStream hands the job to another worker.",
      registers: [this.registry],
      collect: () => heartbeatAge.set(ageOf(this.#lastHeartbeat)),
    });
    // The lag counts time the OS gave other processes too; this counts only this thread's computing.
    const hold = new EventLoopHoldMonitor().start();
    const held: Gauge = new Gauge({
      name: 'lrnas_worker_event_loop_held_seconds',
      help: "Longest time this worker's NATS thread computed without a turn of its event loop since the last scrape (CPU time where Linux reports it per thread); the engine runs on threads of its own, so this stays far below the heartbeat interval.",
      registers: [this.registry],
      collect: () => held.set(hold.takeMax().heldMs / 1000),
    });
    const presenceAge: Gauge = new Gauge({
      name: 'lrnas_worker_presence_age_seconds',
      help: 'Seconds since this worker last wrote its presence record (0 before the first); past its TTL the gateway lists it as gone.',
      registers: [this.registry],
      collect: () => presenceAge.set(ageOf(this.#lastPresence)),
    });
  }

  jobStarted(): void {
    this.#running.inc();
    if (this.#runningJobs++ === 0) this.#lastHeartbeat = this.now();
  }
  jobEnded(kind: string, outcome: JobOutcome): void {
    this.#running.dec();
    this.#jobs.inc({ kind, outcome });
    if (--this.#runningJobs === 0) this.#lastHeartbeat = undefined;
  }
  heartbeat(): void {
    this.#lastHeartbeat = this.now();
  }
  /** The presence record was written. */
  presenceWritten(): void {
    this.#lastPresence = this.now();
  }
  epoch(stage: string, seconds: number): void {
    this.#epochs.observe({ stage }, seconds);
  }
  attack(name: string, seconds: number): void {
    this.#attacks.observe({ attack: name }, seconds);
  }
  error(code: string): void {
    this.#errors.inc({ code });
  }
}

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text format) and `/healthz` (200 while `healthy()` says so, else
 * 503: Kubernetes restarts a worker that lost NATS for good) on `port`, all interfaces.
 */
export async function serveMetrics(
  metrics: WorkerMetrics,
  port: number,
  healthy: () => boolean,
): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    const url = request.url?.split('?')[0];
    if (url === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          response.writeHead(200, { 'content-type': metrics.registry.contentType });
          response.end(text);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    } else if (url === '/healthz') {
      const ok = healthy();
      response.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(ok ? 'ok\n' : 'NATS connection lost\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
