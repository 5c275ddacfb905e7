import type { EntityManager } from '@mikro-orm/core';

/** Rows per INSERT: 5 bound values each, well inside SQLite's 32,766 and PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 1000;

/** A metric point as written. */
export interface MetricRow {
  runId: string;
  key: string;
  step: number;
  value: number | null;
  time: Date;
}

/**
 * Upserts metric points (unique on run, key and step: a replayed point overwrites itself) with
 * multi-row INSERT ... ON CONFLICT statements, inside the caller's transaction. Hand-written
 * because the ORM's upsertMany builds a compound SELECT per batch and costs about 30 times
 * the plain insert (bench/main.ts); both dialects accept this statement as is. Dates go through
 * the platform's own conversion (milliseconds on SQLite), as the ORM would store them.
 */
export async function upsertMetricPoints(em: EntityManager, points: readonly MetricRow[]): Promise<void> {
  const platform = em.getPlatform();
  const sqlite = await betterSqliteOf(em);
  if (sqlite) {
    // SQLite in the caller's transaction: one prepared single-row upsert run per point costs about
    // half the multi-row statements, which better-sqlite3 prepares anew each time (bench/main.ts).
    let upsert = preparedUpserts.get(sqlite);
    if (!upsert) {
      upsert = sqlite.prepare(`${UPSERT} values (?, ?, ?, ?, ?) ${ON_CONFLICT}`);
      preparedUpserts.set(sqlite, upsert);
    }
    for (const p of points) upsert.run(p.runId, p.key, p.step, p.value, platform.processDateProperty(p.time));
    return;
  }
  const connection = em.getConnection();
  for (let from = 0; from < points.length; from += ROWS_PER_STATEMENT) {
    const chunk = points.slice(from, from + ROWS_PER_STATEMENT);
    const values = chunk.flatMap((p) => [p.runId, p.key, p.step, p.value, platform.processDateProperty(p.time)]);
    const rows = chunk.map(() => '(?, ?, ?, ?, ?)').join(', ');
    await connection.execute(`${UPSERT} values ${rows} ${ON_CONFLICT}`, values, 'run', em.getTransactionContext());
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

/**
 * The better-sqlite3 database under `em`'s transaction, when it is one (the transaction's knex
 * client hands out the connection it holds); undefined on PostgreSQL or outside a transaction.
 */
async function betterSqliteOf(em: EntityManager): Promise<BetterSqlite | undefined> {
  const transaction = em.getTransactionContext<{ client?: { acquireConnection?: () => Promise<unknown> } }>();
  const connection = await transaction?.client?.acquireConnection?.();
  const candidate = connection as Partial<BetterSqlite> | undefined;
  return typeof candidate?.prepare === 'function' && typeof candidate.pragma === 'function'
    ? (candidate as BetterSqlite)
    : undefined;
}
