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
  const connection = em.getConnection();
  for (let from = 0; from < points.length; from += ROWS_PER_STATEMENT) {
    const chunk = points.slice(from, from + ROWS_PER_STATEMENT);
    const values = chunk.flatMap((p) => [p.runId, p.key, p.step, p.value, platform.processDateProperty(p.time)]);
    const rows = chunk.map(() => '(?, ?, ?, ?, ?)').join(', ');
    await connection.execute(
      `insert into metric_points ("run_id", "key", "step", "value", "time") values ${rows} ` +
        'on conflict ("run_id", "key", "step") do update set "value" = excluded."value", "time" = excluded."time"',
      values,
      'run',
      em.getTransactionContext(),
    );
  }
}
