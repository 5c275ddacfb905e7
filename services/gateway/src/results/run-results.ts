// The write side of the leaderboard's summary (persistence/entities/run-result.ts and
// architecture-result.ts): each run's results, rewritten from its evaluations in the transaction
// that stores them, and the best run of each architecture they touch.
import type { EntityManager } from '@mikro-orm/core';
import { executeSql, selectRows, sql, trusted, type SqlFragment } from '../persistence/sql.js';

/** Ids per statement: one bound value each, well inside both dialects' limits. */
const IDS_PER_STATEMENT = 500;

/**
 * `insert ... select` of the run summary rows of the evaluations `where` selects: per run,
 * architecture, data set and threat model the worst robust and best clean accuracy, over the whole
 * suite (attack '') and over each attack. The migration that creates the table fills it with the
 * same statement over every evaluation.
 */
function runSummaryInsert(where: SqlFragment): SqlFragment {
  const reduce = (attack: SqlFragment, groupBy: SqlFragment) =>
    sql`select e.run_id, e.architecture_hash, r.experiment_id, e.dataset, e.threat_norm, e.threat_epsilon,
          ${attack}, a.params, min(e.robust_accuracy), max(e.clean_accuracy)
        from evaluations e
          join runs r on r.id = e.run_id
          join architectures a on a.hash = e.architecture_hash
        where ${where}
        group by e.run_id, e.architecture_hash, r.experiment_id, e.dataset, e.threat_norm, e.threat_epsilon,
          a.params${groupBy}`;
  return sql`insert into run_results (run_id, architecture_hash, experiment_id, dataset, threat_norm,
      threat_epsilon, attack, params, robust_accuracy, clean_accuracy)
    ${reduce(trusted(`''`), trusted(''))}
    union all
    ${reduce(trusted('e.attack'), trusted(', e.attack'))}`;
}

/**
 * `insert ... select` of the architecture rows of the run summary rows `where` selects: per
 * architecture, data set, threat model, attack and audience (public, or one team's private runs)
 * the best run, most robust then cleanest then first by id, and the first run id of them all.
 */
function architectureSummaryInsert(where: SqlFragment): SqlFragment {
  const team = trusted(`case when x.visibility = 'PUBLIC' then null else x.team_id end`);
  const group = sql`s.architecture_hash, s.dataset, s.threat_norm, s.threat_epsilon, s.attack, ${team}`;
  return sql`insert into architecture_results (architecture_hash, dataset, threat_norm, threat_epsilon, attack,
      team_id, params, run_id, robust_accuracy, clean_accuracy, first_run_id)
    select architecture_hash, dataset, threat_norm, threat_epsilon, attack, team_id, params, run_id,
      robust_accuracy, clean_accuracy, first_run_id
    from (
      select s.architecture_hash, s.dataset, s.threat_norm, s.threat_epsilon, s.attack, ${team} as team_id,
        s.params, s.run_id, s.robust_accuracy, s.clean_accuracy,
        row_number() over (partition by ${group}
          order by s.robust_accuracy desc, s.clean_accuracy desc, s.run_id) as place,
        min(s.run_id) over (partition by ${group}) as first_run_id
      from run_results s
        join experiments x on x.id = s.experiment_id
      where ${where}
    ) ranked
    where place = 1`;
}

function inList(ids: readonly string[]): SqlFragment {
  return { text: ids.map(() => '?').join(', '), values: ids };
}

function chunked<T>(items: readonly T[]): T[][] {
  const chunks: T[][] = [];
  for (let from = 0; from < items.length; from += IDS_PER_STATEMENT) {
    chunks.push(items.slice(from, from + IDS_PER_STATEMENT));
  }
  return chunks;
}

async function architecturesOf(em: EntityManager, runIds: readonly string[]): Promise<string[]> {
  const rows = await selectRows<{ hash: string }>(
    em,
    sql`select distinct architecture_hash as hash from run_results where run_id in (${inList(runIds)})`,
  );
  return rows.map((r) => r.hash);
}

/**
 * Rewrites the summary rows of `runIds` from their evaluations as they now stand, then the rows of
 * every architecture they had or have, inside the caller's transaction (after its flush). A
 * function of the stored evaluations alone, so a replayed, duplicated or late evaluation leaves
 * the same rows as an orderly stream would. `lock` (PostgreSQL, where replicas ingest at once):
 * the architectures are locked first, in order, so that two batches of runs of one architecture
 * rewrite its rows one after the other, the second seeing the first's runs (NO KEY UPDATE: the
 * key-share locks that storing their evaluations took on the architecture do not block it, so two
 * such batches cannot deadlock).
 */
export async function refreshRunResults(
  em: EntityManager,
  runIds: Iterable<string>,
  options: { lock?: boolean } = {},
): Promise<void> {
  const architectures = new Set<string>();
  for (const chunk of chunked([...new Set(runIds)])) {
    for (const hash of await architecturesOf(em, chunk)) architectures.add(hash);
    await executeSql(em, sql`delete from run_results where run_id in (${inList(chunk)})`);
    await executeSql(em, runSummaryInsert(sql`e.run_id in (${inList(chunk)})`));
    for (const hash of await architecturesOf(em, chunk)) architectures.add(hash);
  }
  for (const chunk of chunked([...architectures].sort())) {
    if (options.lock) {
      await selectRows(
        em,
        sql`select hash from architectures where hash in (${inList(chunk)}) order by hash for no key update`,
      );
    }
    await executeSql(em, sql`delete from architecture_results where architecture_hash in (${inList(chunk)})`);
    await executeSql(em, architectureSummaryInsert(sql`s.architecture_hash in (${inList(chunk)})`));
  }
  // Last: the version row is the transaction's last lock, so replicas' batches queue on it and
  // hold nothing another one waits for.
  await bumpResultsVersion(em);
}

/** Moves the results version on (entities/results-version.ts): cached rankings are read again. */
async function bumpResultsVersion(em: EntityManager): Promise<void> {
  await executeSql(
    em,
    sql`insert into results_version (id, version) values (1, 1)
        on conflict (id) do update set version = results_version.version + 1`,
  );
}

/** Rewrites every summary row from the evaluations, for rows stored in bulk (the benchmark's seed). */
export async function rebuildRunResults(em: EntityManager): Promise<void> {
  await executeSql(em, sql`delete from architecture_results`);
  await executeSql(em, sql`delete from run_results`);
  await executeSql(em, runSummaryInsert(trusted('1 = 1')));
  await executeSql(em, architectureSummaryInsert(trusted('1 = 1')));
  await bumpResultsVersion(em);
}
