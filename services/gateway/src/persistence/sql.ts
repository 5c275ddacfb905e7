import type { EntityManager } from '@mikro-orm/core';

/**
 * SQL fragments with their bound values kept beside the text, so hand-written queries (the run
 * list's filters, which ORM filters cannot express portably) never splice values into SQL.
 * Placeholders are `?`, which MikroORM's connection (knex) turns into each dialect's own.
 */
export interface SqlFragment {
  readonly text: string;
  readonly values: readonly unknown[];
}

function isFragment(value: unknown): value is SqlFragment {
  return typeof value === 'object' && value !== null && 'text' in value && 'values' in value;
}

/** Tagged template: interpolated fragments are inlined, any other value becomes a bound `?`. */
export function sql(strings: TemplateStringsArray, ...parts: unknown[]): SqlFragment {
  let text = strings[0]!;
  const values: unknown[] = [];
  parts.forEach((part, i) => {
    if (isFragment(part)) {
      text += part.text;
      values.push(...part.values);
    } else {
      text += '?';
      values.push(part);
    }
    text += strings[i + 1]!;
  });
  return { text, values };
}

/** Text that is trusted (a keyword or column chosen from a fixed list), inlined as is. */
export function trusted(text: string): SqlFragment {
  return { text, values: [] };
}

/** Joins fragments with a separator, e.g. ` and `. */
export function joinSql(fragments: readonly SqlFragment[], separator: string): SqlFragment {
  return {
    text: fragments.map((f) => f.text).join(separator),
    values: fragments.flatMap((f) => f.values),
  };
}

/** `(a and b and ...)`; TRUE when there is nothing to combine. */
export function allOf(fragments: readonly SqlFragment[]): SqlFragment {
  return fragments.length === 0 ? trusted('1 = 1') : sql`(${joinSql(fragments, ' and ')})`;
}

/** `(a or b or ...)`; FALSE when there is nothing to combine. */
export function anyOf(fragments: readonly SqlFragment[]): SqlFragment {
  return fragments.length === 0 ? trusted('1 = 0') : sql`(${joinSql(fragments, ' or ')})`;
}

/**
 * Runs a select through the request's entity manager, inside its transaction if it is in one;
 * rows come back as the driver gives them.
 */
export async function selectRows<T>(em: EntityManager, query: SqlFragment): Promise<T[]> {
  return (await em
    .getConnection()
    .execute(query.text, [...query.values], 'all', em.getTransactionContext())) as unknown as T[];
}

/** Runs a statement that returns no rows (insert, update, delete) inside the caller's transaction, if any. */
export async function executeSql(em: EntityManager, statement: SqlFragment): Promise<void> {
  await em.getConnection().execute(statement.text, [...statement.values], 'run', em.getTransactionContext());
}
