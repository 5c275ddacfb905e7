import type { EntityManager } from '@mikro-orm/core';
import { ContractError } from '@lrnas/schema';
import type { Viewer } from '../auth/authenticate.js';
import { configDifferences, type ConfigDifference } from '../domain/config-diff.js';
import type { Run } from '../persistence/entities/index.js';
import { latestMetrics } from '../metrics/queries.js';
import { readableRun } from '../auth/readable.js';

export const MAX_COMPARED_RUNS = 20;

/** Runs side by side: differing settings and the latest value of each metric. */
export async function compareRuns(
  em: EntityManager,
  viewer: Viewer | undefined,
  ids: readonly string[],
): Promise<{
  runs: Run[];
  configDifferences: ConfigDifference[];
  metrics: { key: string; values: (number | null)[] }[];
}> {
  if (ids.length < 1 || ids.length > MAX_COMPARED_RUNS) {
    throw new ContractError('ids', `give 1 to ${MAX_COMPARED_RUNS} run ids`);
  }
  const runs: Run[] = [];
  for (const id of ids) runs.push(await readableRun(em, viewer, id));
  const latest = await latestMetrics(
    em,
    runs.map((r) => r.id),
  );
  const keys = [...new Set([...latest.values()].flatMap((m) => [...m.keys()]))].sort();
  return {
    runs,
    configDifferences: configDifferences(runs.map((r) => r.config)).map((d) => ({
      path: d.path,
      values: d.values.map((v) => v ?? null),
    })),
    metrics: keys.map((key) => ({ key, values: runs.map((r) => latest.get(r.id)?.get(key) ?? null) })),
  };
}
