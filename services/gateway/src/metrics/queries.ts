import type { EntityManager } from '@mikro-orm/core';
import { ContractError } from '@lrnas/schema';
import { downsample, type SeriesPoint } from '../domain/downsample.js';
import { checkInt, checkMetricKey } from '../validation.js';
import { anyOf, joinSql, selectRows, sql } from '../persistence/sql.js';

export const MAX_SERIES_KEYS = 50;
export const MAX_SERIES_POINTS = 10_000;

/** A point with the time the worker produced it. */
export interface TimedPoint extends SeriesPoint {
  time: Date;
}

/** A date column read by raw SQL: milliseconds on SQLite (as the ORM stores them), a Date on PostgreSQL. */
function storedDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) return new Date(Number(value));
  return new Date(String(value));
}

/** Metric keys a run has points for, sorted. */
export async function metricKeys(em: EntityManager, runId: string): Promise<string[]> {
  const q = sql`select distinct m."key" as k from metric_points m where m.run_id = ${runId} order by m."key"`;
  const rows = await selectRows<{ k: string }>(em, q);
  return rows.map((r) => r.k);
}

/**
 * The series of a run for `keys` (all of its keys when none are given), each thinned to at most
 * `maxPoints` points by `downsample`, which keeps the first, the last and each bucket's extremes.
 */
export async function metricSeries(
  em: EntityManager,
  runId: string,
  keys: readonly string[] | null | undefined,
  maxPoints: number,
): Promise<{ key: string; totalPoints: number; points: TimedPoint[] }[]> {
  checkInt('maxPoints', maxPoints, 2, MAX_SERIES_POINTS);
  const wanted = keys?.length ? [...new Set(keys)] : await metricKeys(em, runId);
  if (wanted.length > MAX_SERIES_KEYS) throw new ContractError('keys', `at most ${MAX_SERIES_KEYS} keys at a time`);
  wanted.forEach((key, i) => checkMetricKey(`keys[${i}]`, key));
  // One statement for every series: a round trip per key cost more than the rows.
  const q = sql`select m."key" as k, m.step as step, m.value as value, m.time as time from metric_points m
    where m.run_id = ${runId} and m."key" in (${joinSql(
      wanted.map((key) => sql`${key}`),
      ', ',
    )}) order by m."key", m.step`;
  const rows = await selectRows<{ k: string; step: number; value: number | null; time: unknown }>(em, q);
  const byKey = new Map<string, TimedPoint[]>(wanted.map((key) => [key, []]));
  for (const r of rows) {
    byKey
      .get(r.k)!
      .push({ step: Number(r.step), value: r.value === null ? null : Number(r.value), time: storedDate(r.time) });
  }
  return wanted.map((key) => {
    const points = byKey.get(key)!;
    return { key, totalPoints: points.length, points: downsample(points, maxPoints) };
  });
}

/** Latest value (at the highest step) of every metric of each run. */
export async function latestMetrics(
  em: EntityManager,
  runIds: readonly string[],
): Promise<Map<string, Map<string, number | null>>> {
  const result = new Map<string, Map<string, number | null>>(runIds.map((id) => [id, new Map()]));
  if (runIds.length === 0) return result;
  const ids = joinSql(
    runIds.map((id) => sql`${id}`),
    ', ',
  );
  const q = sql`select m.run_id as run_id, m."key" as k, m.value as value from metric_points m where m.run_id in (${ids}) and m.step = (select max(m2.step) from metric_points m2 where m2.run_id = m.run_id and m2."key" = m."key")`;
  const rows = await selectRows<{ run_id: string; k: string; value: number | null }>(em, q);
  for (const row of rows) result.get(row.run_id)?.set(row.k, row.value === null ? null : Number(row.value));
  return result;
}

/** The highest id among a run's stored points (ids grow as points are stored); 0 for none. */
export async function newestPointId(em: EntityManager, runId: string): Promise<number> {
  const q = sql`select max(m.id) as id from metric_points m where m.run_id = ${runId}`;
  const [row] = await selectRows<{ id: number | string | null }>(em, q);
  return Number(row?.id ?? 0);
}

/**
 * A run's points stored after point `sinceId` (of `keys`, or all), by key and step: of a key in
 * `pastStep`, only those at a higher step than its value there (a subscriber was sent up to it).
 */
export async function pointsStoredAfter(
  em: EntityManager,
  runId: string,
  sinceId: number,
  keys: ReadonlySet<string> | undefined,
  pastStep: ReadonlyMap<string, number> = new Map(),
): Promise<(TimedPoint & { key: string })[]> {
  const list = (values: Iterable<string>) =>
    joinSql(
      [...values].map((key) => sql`${key}`),
      ', ',
    );
  const ofKeys = keys ? sql` and m."key" in (${list(keys)})` : sql``;
  const past =
    pastStep.size > 0
      ? sql` and (m."key" not in (${list(pastStep.keys())}) or ${anyOf(
          [...pastStep].map(([key, step]) => sql`(m."key" = ${key} and m.step > ${step})`),
        )})`
      : sql``;
  const q = sql`select m."key" as k, m.step as step, m.value as value, m.time as time from metric_points m
    where m.run_id = ${runId} and m.id > ${sinceId}${ofKeys}${past} order by m."key", m.step`;
  const rows = await selectRows<{ k: string; step: number; value: number | null; time: unknown }>(em, q);
  return rows.map((r) => ({
    key: r.k,
    step: Number(r.step),
    value: r.value === null ? null : Number(r.value),
    time: storedDate(r.time),
  }));
}
