import type { EntityManager } from '@mikro-orm/core';
import { ContractError } from '@lrnas/schema';
import type { Viewer } from '../auth/authenticate.js';
import { Run } from '../persistence/entities/index.js';
import { checkInt, checkMetricKey, checkTags } from '../validation.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { allOf, anyOf, joinSql, selectRows, sql, trusted, type SqlFragment } from '../persistence/sql.js';

/** Which runs to list (the RunFilter input): fields AND-ed, `and` all of, `or` any of. */
export interface RunListFilter {
  experimentId?: string | null;
  kinds?: readonly string[] | null;
  statuses?: readonly string[] | null;
  tags?: readonly string[] | null;
  params?: { min?: number | null; max?: number | null } | null;
  metrics?: readonly MetricCondition[] | null;
  and?: readonly RunListFilter[] | null;
  or?: readonly RunListFilter[] | null;
}

export interface MetricCondition {
  key: string;
  aggregate: 'LAST' | 'MIN' | 'MAX';
  comparison: 'GT' | 'GTE' | 'LT' | 'LTE';
  value: number;
}

export interface RunListOrder {
  field: 'CREATED_AT' | 'STARTED_AT' | 'FINISHED_AT' | 'PARAMS' | 'METRIC';
  direction: 'ASC' | 'DESC';
  metricKey?: string | null;
}

export interface RunPage {
  runs: Run[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}

type Dialect = 'sqlite' | 'postgresql';

/** Nesting of and/or a filter may have, and metric conditions in all: bounds on the SQL built. */
export const MAX_FILTER_NESTING = 4;
export const MAX_METRIC_CONDITIONS = 20;
export const MAX_PAGE = 100;

const OPERATORS = { GT: '>', GTE: '>=', LT: '<', LTE: '<=' } as const;

/**
 * A page of the runs the viewer may read that match `filter`, in `order` (runs without a sort
 * value last), after the `after` cursor. Keyset pagination on (sort value, id): pages stay
 * consistent while new runs arrive. Hand-written SQL because tag and metric conditions need
 * JSON and subqueries that ORM filters cannot express on both dialects.
 */
export async function listRuns(
  em: EntityManager,
  dialect: Dialect,
  viewer: Viewer | undefined,
  options: { filter?: RunListFilter | null; order?: RunListOrder | null; first?: number | null; after?: string | null },
): Promise<RunPage> {
  const first = checkInt('first', options.first ?? 20, 1, MAX_PAGE);
  const order: RunListOrder = options.order ?? { field: 'CREATED_AT', direction: 'DESC' };
  const conditions = { metrics: 0 };
  const where = allOf([
    viewer ? sql`(e.visibility = 'PUBLIC' or e.team_id = ${viewer.teamId})` : trusted(`e.visibility = 'PUBLIC'`),
    options.filter ? compileFilter(options.filter, dialect, 'filter', 0, conditions) : trusted('1 = 1'),
  ]);
  const sortExpr = sortExpression(order);
  const signature = `${order.field}:${order.direction}:${order.metricKey ?? ''}`;
  const keyset = options.after
    ? afterPosition(sortExpr, order.direction, decodeCursor('after', signature, options.after))
    : trusted('1 = 1');
  const from = trusted(
    'from runs r join experiments e on e.id = r.experiment_id left join architectures a on a.hash = r.architecture_hash',
  );
  const direction = trusted(order.direction === 'ASC' ? 'asc' : 'desc');
  const query = sql`select r.id as id, ${sortExpr} as sort_value ${from} where ${where} and ${keyset} order by (case when ${sortExpr} is null then 1 else 0 end) asc, ${sortExpr} ${direction}, r.id asc limit ${first + 1}`;
  const rows = await selectRows<{ id: string; sort_value: unknown }>(em, query);
  const count = sql`select count(*) as n ${from} where ${where}`;
  const [counted] = await selectRows<{ n: number | string }>(em, count);

  const page = rows.slice(0, first);
  const loaded = await em.find(Run, { id: { $in: page.map((r) => r.id) } }, { populate: ['architecture'] });
  const byId = new Map(loaded.map((r) => [r.id, r]));
  return {
    runs: page.map((r) => byId.get(r.id)!).filter(Boolean),
    cursors: page.map((r) => encodeCursor(signature, { value: cursorValue(r.sort_value), id: r.id })),
    hasNextPage: rows.length > first,
    totalCount: Number(counted?.n ?? 0),
  };
}

function compileFilter(
  filter: RunListFilter,
  dialect: Dialect,
  field: string,
  depth: number,
  conditions: { metrics: number },
): SqlFragment {
  if (depth > MAX_FILTER_NESTING) throw new ContractError(field, `and/or may nest at most ${MAX_FILTER_NESTING} deep`);
  const parts: SqlFragment[] = [];
  if (filter.experimentId != null) parts.push(sql`r.experiment_id = ${filter.experimentId}`);
  if (filter.kinds?.length)
    parts.push(
      sql`r.kind in (${joinSql(
        filter.kinds.map((k) => sql`${k}`),
        ', ',
      )})`,
    );
  if (filter.statuses?.length) {
    parts.push(
      sql`r.status in (${joinSql(
        filter.statuses.map((s) => sql`${s}`),
        ', ',
      )})`,
    );
  }
  if (filter.tags?.length) {
    for (const tag of checkTags(`${field}.tags`, filter.tags)) parts.push(hasTag(dialect, tag));
  }
  if (filter.params) {
    const { min, max } = filter.params;
    if (min != null) parts.push(sql`a.params >= ${finite(`${field}.params.min`, min)}`);
    if (max != null) parts.push(sql`a.params <= ${finite(`${field}.params.max`, max)}`);
  }
  (filter.metrics ?? []).forEach((m, i) => {
    const at = `${field}.metrics[${i}]`;
    if (++conditions.metrics > MAX_METRIC_CONDITIONS) {
      throw new ContractError(at, `at most ${MAX_METRIC_CONDITIONS} metric conditions per query`);
    }
    const value = metricValue(checkMetricKey(`${at}.key`, m.key), m.aggregate);
    parts.push(sql`${value} ${trusted(OPERATORS[m.comparison])} ${finite(`${at}.value`, m.value)}`);
  });
  (filter.and ?? []).forEach((f, i) =>
    parts.push(compileFilter(f, dialect, `${field}.and[${i}]`, depth + 1, conditions)),
  );
  if (filter.or?.length) {
    parts.push(anyOf(filter.or.map((f, i) => compileFilter(f, dialect, `${field}.or[${i}]`, depth + 1, conditions))));
  }
  return allOf(parts);
}

/** Tags are a JSON array column; each dialect has its own way of looking inside one. */
function hasTag(dialect: Dialect, tag: string): SqlFragment {
  return dialect === 'sqlite'
    ? sql`exists (select 1 from json_each(r.tags) t where t.value = ${tag})`
    : sql`r.tags @> cast(${JSON.stringify([tag])} as jsonb)`;
}

function metricValue(key: string, aggregate: MetricCondition['aggregate']): SqlFragment {
  if (aggregate === 'LAST') {
    return sql`(select m.value from metric_points m where m.run_id = r.id and m."key" = ${key} order by m.step desc limit 1)`;
  }
  const fn = trusted(aggregate === 'MIN' ? 'min' : 'max');
  return sql`(select ${fn}(m.value) from metric_points m where m.run_id = r.id and m."key" = ${key})`;
}

function sortExpression(order: RunListOrder): SqlFragment {
  switch (order.field) {
    case 'CREATED_AT':
      return trusted('r.created_at');
    case 'STARTED_AT':
      return trusted('r.started_at');
    case 'FINISHED_AT':
      return trusted('r.finished_at');
    case 'PARAMS':
      return trusted('a.params');
    case 'METRIC':
      if (!order.metricKey) throw new ContractError('orderBy.metricKey', 'needed when sorting by METRIC');
      return metricValue(checkMetricKey('orderBy.metricKey', order.metricKey), 'LAST');
  }
}

/** Rows after the cursor: nulls sort last, ties are broken by id. */
function afterPosition(
  expr: SqlFragment,
  direction: RunListOrder['direction'],
  at: { value: string | number | null; id: string },
): SqlFragment {
  if (at.value === null) return sql`(${expr} is null and r.id > ${at.id})`;
  const op = trusted(direction === 'ASC' ? '>' : '<');
  return sql`(${expr} is null or ${expr} ${op} ${at.value} or (${expr} = ${at.value} and r.id > ${at.id}))`;
}

/** A sort value as a cursor carries it (PostgreSQL returns dates as Date, SQLite as numbers). */
function cursorValue(value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

function finite(field: string, value: number): number {
  if (!Number.isFinite(value)) throw new ContractError(field, 'must be a finite number');
  return value;
}
