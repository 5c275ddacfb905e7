// Rankings of the leaderboard kept between requests. The ranking is a function of the result
// summaries alone, and every transaction that rewrites them moves the results version on
// (entities/results-version.ts), on whichever replica it runs: a ranking is reused only while the
// version it was computed at is the one the database holds. The version is read before the
// ranking, so a ranking filed under a version is never older than that version.
import type { EntityManager } from '@mikro-orm/core';
import { selectRows, sql } from '../persistence/sql.js';

/** Rankings kept per database; the oldest entry goes past this many (queries vary little). */
const MAX_ENTRIES = 200;

interface Entry<T> {
  version: number;
  value: T;
}

/** A database's cache, found through the driver that every entity manager forked from its ORM shares. */
const caches = new WeakMap<object, Map<string, Entry<unknown>>>();

/** The results version the database holds (0 before the first summary was written). */
export async function resultsVersion(em: EntityManager): Promise<number> {
  const rows = await selectRows<{ version: number | string }>(
    em,
    sql`select version from results_version where id = 1`,
  );
  return rows.length === 0 ? 0 : Number(rows[0]!.version);
}

/**
 * The value `compute` gives for `key` at the database's current results version, computed once
 * per version. Inside a transaction it is computed afresh and not kept: the transaction may have
 * written summaries that are not committed, and may roll back.
 */
export async function cachedRanking<T>(em: EntityManager, key: string, compute: () => Promise<T>): Promise<T> {
  if (em.isInTransaction()) return compute();
  const version = await resultsVersion(em);
  let cache = caches.get(em.getDriver());
  if (!cache) {
    cache = new Map();
    caches.set(em.getDriver(), cache);
  }
  const hit = cache.get(key);
  if (hit && hit.version === version) return hit.value as T;
  const value = await compute();
  cache.delete(key);
  cache.set(key, { version, value });
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return value;
}
