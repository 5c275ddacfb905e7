// 1. Ingestion of metric points: a backlog of metric events waits in JetStream; the gateway's event
// ingestor (wired as startGateway wires it: live updates sent after each commit) stores them all.
// The clock runs from the ingestor's start to its last commit, so it measures ingestion alone (not
// opening the database, building the GraphQL schema, nor how fast JetStream takes publishes here).
// Against it: the same rows upserted by the database's own driver (better-sqlite3, pg) into the
// same table of a database migrated the same way, in one transaction per 500 events like the
// gateway's batches. Both databases run in one call, so their ratios come from one sitting.
import Database from 'better-sqlite3';
import type { NatsConnection } from 'nats';
import pg from 'pg';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, eventSubject } from '@lrnas/schema';
import type { NatsServerHandle } from '@lrnas/local/nats-server';
import { natsLogin } from '@lrnas/local/test-nats';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import type { DatabaseTarget } from '../src/config.js';
import { EventIngestor, type BatchTimings } from '../src/ingest/event-ingestor.js';
import { LiveUpdates, updatesOf } from '../src/live/updates.js';
import { NatsLink } from '../src/nats-link.js';
import { openDatabase } from '../src/persistence/database.js';
import { Experiment, MetricPoint, Run, RunKind, RunStatus } from '../src/persistence/entities/index.js';
import { publishSigned } from './publish.js';
import { percentile } from './stats.js';

/** A metric point as an event carries it. */
export type Point = { key: string; step: number; value: number };

export interface IngestFigures {
  points: number;
  events: number;
  rounds: number;
  /** Transactions per round. */
  batches: number;
  gatewayPointsPerSecond: number;
  rawPointsPerSecond: number;
  /** Of the medians of the rounds' times. */
  ratio: number;
  roundRatios: number[];
  /** Milliseconds of a round's batches together in each part of ingestion (mean over the rounds). */
  split: BatchTimings;
}

/** The events of the benchmark: `events` metric events of `perEvent` points over 10 keys. */
export function metricRows(events: number, perEvent: number): Point[][] {
  return Array.from({ length: events }, (_, e) =>
    Array.from({ length: perEvent }, (_, i) => ({
      key: `m/${i % 10}`,
      step: e * 50 + Math.floor(i / 10),
      value: Math.sin(e + i),
    })),
  );
}

/** A run whose first attempt has started, as after its worker's RUNNING: the gateway takes its events. */
export const RUNNING = {
  status: RunStatus.RUNNING,
  attempts: 1,
  lastAttempt: 1,
  lastSeq: 0,
  workerId: 'bench',
} as const;

/**
 * Rounds of each measurement: on a shared machine one timing of a second moves by 2-3x with the
 * load, so raw and gateway take turns and the figures are the medians.
 */
const ROUNDS = 5;

/** Ingestion on one database against its raw driver. */
export async function benchIngestOn(
  target: DatabaseTarget,
  server: NatsServerHandle,
  nc: NatsConnection,
  rows: Point[][],
  log: (line: string) => void,
): Promise<IngestFigures> {
  const db = await openDatabase(target);
  const link = new NatsLink(server.url, log, { replicas: 1 }, natsLogin(server, 'gateway'));
  const live = new LiveUpdates(link, log);
  try {
    await live.start();
    const em = db.orm.em.fork();
    const { team } = await createTeamWithKey(em, `bench-${target.kind}`);
    const experiment = em.create(Experiment, {
      id: `exp-ingest-${target.kind}`,
      team,
      name: 'ingest',
      dataset: 'mnist',
      threatNorm: 'linf',
      threatEpsilon: 0.3,
    });
    const run = (id: string) =>
      em.create(Run, { id, experiment, kind: RunKind.SEARCH, config: {}, seed: 1, ...RUNNING });
    const total = rows.reduce((n, points) => n + points.length, 0);
    const split: BatchTimings = { decode: 0, apply: 0, commit: 0, settle: 0 };
    let batches = 0;
    const rawTimes: number[] = [];
    const gatewayTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rawRun = run(`run-raw-${target.kind}-${round}`);
      const gatewayRun = run(`run-ingest-${target.kind}-${round}`);
      await em.flush();
      // The raw driver first, into the same table: the gateway then writes into a table holding
      // those rows too, never the easier case.
      rawTimes.push(
        target.kind === 'sqlite'
          ? rawSqlite(target.file, rawRun.id, rows)
          : await rawPostgres(target.url, rawRun.id, rows),
      );
      const encoded = rows.map((points, seq) =>
        eventCodec.encode({
          v: 1,
          runId: gatewayRun.id,
          attempt: 1,
          seq,
          time: new Date().toISOString(),
          type: 'metric',
          points,
        }),
      );
      await publishSigned(nc, eventSubject(gatewayRun.id, 'metric'), encoded, gatewayRun.eventKey!);
      const ingestor = new EventIngestor(link.connection!, db.orm, log, (changes) => live.publish(updatesOf(changes)), {
        lockRuns: target.kind === 'postgresql',
        onTimed: (timings) => {
          batches += 1;
          for (const part of Object.keys(split) as (keyof BatchTimings)[]) split[part] += timings[part];
        },
      });
      const start = performance.now();
      ingestor.start();
      await drained(nc);
      gatewayTimes.push((performance.now() - start) / 1000);
      await ingestor.stop();
      const stored = await db.orm.em.fork().count(MetricPoint, { run: gatewayRun.id });
      if (stored !== total) throw new Error(`${target.kind}: stored ${stored} points, expected ${total}`);
    }
    const rawSeconds = percentile(rawTimes, 50);
    const seconds = percentile(gatewayTimes, 50);
    const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;
    return {
      points: total,
      events: rows.length,
      rounds: ROUNDS,
      batches: round(batches / ROUNDS, 1),
      gatewayPointsPerSecond: Math.round(total / seconds),
      rawPointsPerSecond: Math.round(total / rawSeconds),
      ratio: round(rawSeconds / seconds, 3),
      roundRatios: rawTimes.map((raw, i) => round(raw / gatewayTimes[i]!, 2)),
      split: {
        decode: round(split.decode / ROUNDS, 0),
        apply: round(split.apply / ROUNDS, 0),
        commit: round(split.commit / ROUNDS, 0),
        settle: round(split.settle / ROUNDS, 0),
      },
    };
  } finally {
    live.stop();
    await link.close();
    await db.close();
  }
}

async function drained(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (;;) {
    const info = await jsm.consumers.info(EVENTS_STREAM, EVENTS_CONSUMER);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Events per transaction of the raw baselines: the gateway's batch (BATCH in event-ingestor.ts). */
const EVENTS_PER_TRANSACTION = 500;

/**
 * Seconds better-sqlite3 takes to upsert the rows, one prepared statement run per row, in
 * transactions of `eventsPerTransaction` of them.
 */
export function rawSqlite(
  file: string,
  runId: string,
  rows: Point[][],
  eventsPerTransaction = EVENTS_PER_TRANSACTION,
): number {
  const plain = new Database(file);
  try {
    plain.pragma('foreign_keys = on');
    const insert = plain.prepare(
      'insert into metric_points (run_id, key, step, value, time) values (?, ?, ?, ?, ?) on conflict (run_id, key, step) do update set value = excluded.value, time = excluded.time',
    );
    const batch = plain.transaction((points: Point[]) => {
      const time = Date.now();
      for (const p of points) insert.run(runId, p.key, p.step, p.value, time);
    });
    const start = performance.now();
    for (let i = 0; i < rows.length; i += eventsPerTransaction) batch(rows.slice(i, i + eventsPerTransaction).flat());
    return (performance.now() - start) / 1000;
  } finally {
    plain.close();
  }
}

/** Seconds pg takes to upsert the rows with multi-row INSERT ... ON CONFLICT statements of 1,000 rows. */
async function rawPostgres(url: string, runId: string, rows: Point[][]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const start = performance.now();
    for (let i = 0; i < rows.length; i += EVENTS_PER_TRANSACTION) {
      const points = rows.slice(i, i + EVENTS_PER_TRANSACTION).flat();
      const time = new Date();
      await client.query('begin');
      for (let from = 0; from < points.length; from += 1000) {
        const chunk = points.slice(from, from + 1000);
        const values = chunk.flatMap((p) => [runId, p.key, p.step, p.value, time]);
        const tuples = chunk.map(
          (_, r) => `($${r * 5 + 1}, $${r * 5 + 2}, $${r * 5 + 3}, $${r * 5 + 4}, $${r * 5 + 5})`,
        );
        await client.query(
          `insert into metric_points (run_id, key, step, value, time) values ${tuples.join(', ')} on conflict (run_id, key, step) do update set value = excluded.value, time = excluded.time`,
          values,
        );
      }
      await client.query('commit');
    }
    return (performance.now() - start) / 1000;
  } finally {
    await client.end();
  }
}
