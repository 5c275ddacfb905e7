import type { MikroORM } from '@mikro-orm/core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { EVENTS_CONSUMER, EVENTS_STREAM, JOBS_CONSUMER, JOBS_STREAM, type RunEvent } from '@lrnas/schema';
import { REFUSAL_REASONS, type RefusalReason } from '../domain/event-admission.js';
import type { NatsLink } from '../nats-link.js';
import { Run, RunStatus } from '../persistence/entities/index.js';

/**
 * The gateway's Prometheus metrics (served at /metrics; meanings in infra/README.md). Queue depths,
 * workers and run counts are read when scraped, from JetStream, the presence bucket and the
 * database; ingestion and GraphQL errors are counted as they happen.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #ingested = new Counter({
    name: 'lrnas_events_ingested_total',
    help: 'Events written to the database, by event type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly #refused = new Counter({
    name: 'lrnas_events_refused_total',
    help: 'Events dropped because their context contradicts their run (a stale or stray worker), by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #lag = new Gauge({
    name: 'lrnas_ingest_lag_seconds',
    help: 'Age of the newest event of the last ingested batch when it was written.',
    registers: [this.registry],
  });
  readonly #graphqlErrors = new Counter({
    name: 'lrnas_graphql_errors_total',
    help: 'Errors returned by the GraphQL API, by error code.',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor(nats: NatsLink, orm: MikroORM, log: (line: string) => void) {
    collectDefaultMetrics({ register: this.registry });
    // Every reason from zero, so that an alert on increase() sees the first refusal.
    for (const reason of REFUSAL_REASONS) this.#refused.inc({ reason }, 0);
    const gauge = (name: string, help: string, value: () => Promise<number> | number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          // An unreachable NATS leaves the gauge at its last value; the scrape still succeeds.
          try {
            this.set(await value());
          } catch (error) {
            log(`metrics: ${name} not read: ${(error as Error).message}`);
          }
        },
      });
    const consumer = async (stream: string, name: string) => {
      const connection = nats.connection;
      if (!connection) throw new Error('NATS is not connected');
      return (await connection.jetstreamManager()).consumers.info(stream, name);
    };
    const jobs = () => consumer(JOBS_STREAM, JOBS_CONSUMER);
    gauge('lrnas_jobs_pending', 'Jobs waiting in the work queue for a worker.', async () => (await jobs()).num_pending);
    gauge('lrnas_jobs_running', 'Jobs delivered to a worker and not yet settled.', async () => {
      return (await jobs()).num_ack_pending;
    });
    gauge('lrnas_events_pending', 'Events in the stream not yet written to the database.', async () => {
      const info = await consumer(EVENTS_STREAM, EVENTS_CONSUMER);
      return info.num_pending + info.num_ack_pending;
    });
    gauge('lrnas_workers', 'Workers whose presence record is fresh.', () => nats.workers().length);
    new Gauge({
      name: 'lrnas_runs',
      help: 'Runs in the database, by status.',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const em = orm.em.fork();
        for (const status of Object.values(RunStatus)) this.set({ status }, await em.count(Run, { status }));
      },
    });
  }

  /** Counts a written batch and notes how far behind the stream the writing is. */
  ingested(events: readonly RunEvent[]): void {
    let newest = 0;
    for (const event of events) {
      this.#ingested.inc({ type: event.type });
      newest = Math.max(newest, Date.parse(event.time));
    }
    if (newest > 0) this.#lag.set(Math.max(0, (Date.now() - newest) / 1000));
  }

  /** Counts an event refused for its context (ingest/event-ingestor.ts). */
  refused(reason: RefusalReason): void {
    this.#refused.inc({ reason });
  }

  graphqlError(code: string): void {
    this.#graphqlErrors.inc({ code });
  }
}
