import type { EntityManager } from '@mikro-orm/core';

/** Rows per statement on PostgreSQL (its five arrays hold one value per row each). */
const ROWS_PER_STATEMENT = 5000;

/** A metric point as written. */
export interface MetricRow {
  runId: string;
  key: string;
  step: number;
  value: number | null;
  time: Date;
}

/**
 * Upserts metric points (unique on run, key and step: a replayed point overwrites itself) inside
 * the caller's transaction, through the transaction's own driver connection. Hand-written because
 * the ORM's upsertMany builds a compound SELECT per batch and costs about 30 times the plain
 * insert, and its connection.execute writes every bound value into the SQL text (milliseconds per
 * thousand points). `points` must hold each (run, key, step) once: PostgreSQL refuses a statement
 * that updates a row twice. Dates are stored as the ORM stores them (milliseconds on SQLite).
 */
export async function upsertMetricPoints(em: EntityManager, points: readonly MetricRow[]): Promise<void> {
  const connection = await driverConnectionOf(em);
  if (isBetterSqlite(connection)) {
    upsertOnSqlite(em, connection, points);
    return;
  }
  if (isPg(connection)) {
    await upsertOnPostgres(connection, points);
    return;
  }
  throw new Error('metric points are written inside a transaction on SQLite or PostgreSQL');
}

/**
 * SQLite: one prepared single-row upsert run per point costs about half the multi-row statements,
 * which better-sqlite3 prepares anew each time.
 */
function upsertOnSqlite(em: EntityManager, sqlite: BetterSqlite, points: readonly MetricRow[]): void {
  const platform = em.getPlatform();
  let upsert = preparedUpserts.get(sqlite);
  if (!upsert) {
    upsert = sqlite.prepare(`${UPSERT} values (?, ?, ?, ?, ?) ${ON_CONFLICT}`);
    preparedUpserts.set(sqlite, upsert);
  }
  // An event's points share one Date: convert it once.
  let date: Date | undefined;
  let stored: unknown;
  for (const p of points) {
    if (p.time !== date) {
      date = p.time;
      stored = platform.processDateProperty(p.time);
    }
    upsert.run(p.runId, p.key, p.step, p.value, stored);
  }
}

/**
 * PostgreSQL: each chunk is one statement over five array parameters (unnest), so a thousand rows
 * cost five bound values, not five thousand, and the statement's text is the same every time.
 */
async function upsertOnPostgres(pg: PgClient, points: readonly MetricRow[]): Promise<void> {
  for (let from = 0; from < points.length; from += ROWS_PER_STATEMENT) {
    const chunk = points.slice(from, from + ROWS_PER_STATEMENT);
    await pg.query(
      `${UPSERT} select * from unnest($1::varchar[], $2::varchar[], $3::int[], $4::double precision[], $5::timestamptz[]) ${ON_CONFLICT}`,
      [
        chunk.map((p) => p.runId),
        chunk.map((p) => p.key),
        chunk.map((p) => p.step),
        chunk.map((p) => p.value),
        chunk.map((p) => p.time),
      ],
    );
  }
}

const UPSERT = 'insert into metric_points ("run_id", "key", "step", "value", "time")';
const ON_CONFLICT =
  'on conflict ("run_id", "key", "step") do update set "value" = excluded."value", "time" = excluded."time"';

/** What of a better-sqlite3 database and statement the writer uses. */
interface BetterSqlite {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  pragma(source: string): unknown;
}
const preparedUpserts = new WeakMap<BetterSqlite, { run(...values: unknown[]): unknown }>();

/** What of a pg client the writer uses. */
interface PgClient {
  query(text: string, values: unknown[]): Promise<unknown>;
}

function isBetterSqlite(connection: unknown): connection is BetterSqlite {
  const candidate = connection as Partial<BetterSqlite> | undefined;
  return typeof candidate?.prepare === 'function' && typeof candidate.pragma === 'function';
}

function isPg(connection: unknown): connection is PgClient {
  const candidate = connection as Partial<PgClient & { escapeIdentifier: unknown }> | undefined;
  return typeof candidate?.query === 'function' && typeof candidate.escapeIdentifier === 'function';
}

/**
 * The driver's connection under `em`'s transaction (the transaction's knex client hands out the
 * connection it holds); undefined outside a transaction.
 */
async function driverConnectionOf(em: EntityManager): Promise<unknown> {
  const transaction = em.getTransactionContext<{ client?: { acquireConnection?: () => Promise<unknown> } }>();
  return transaction?.client?.acquireConnection?.();
}
