/** What the API says of who ran a run and reported it. */
export interface RunOrigin {
  source: 'WORKER' | 'CLIENT' | 'CLI';
  workerId: string | null;
  backend: string | null;
  client: string | null;
  loggedBy: string | null;
  /** Which study, arm and seed, for a run that is a study's row. */
  studyRow?: { studyRunId: string; arm: string; seed: number } | null;
}

/**
 * Who ran the run, in a few words: a worker of the hub ("worker w-1 · wasm"), a study's row on one ("study s-1 ·
 * random · seed 5 · worker w-1 · wasm"), or a program that logged it from elsewhere, with its client and version and the key that logged it ("logged by
 * @lrnas/client 0.1.0 · key laptop"), so a leaderboard row says where its result comes from.
 */
export function provenance(run: RunOrigin): string {
  if (run.studyRow) {
    const { studyRunId, arm, seed } = run.studyRow;
    return `study ${studyRunId} · ${arm} · seed ${seed} · ${provenance({ ...run, studyRow: null })}`;
  }
  if (run.source === 'WORKER') {
    return ['worker', run.workerId ?? '(not started)', ...(run.backend ? [`· ${run.backend}`] : [])].join(' ');
  }
  const how = run.source === 'CLI' ? 'the lrnas CLI' : 'a client';
  return [
    `logged by ${run.client ?? how}`,
    ...(run.loggedBy ? [`· key ${run.loggedBy}`] : []),
    ...(run.backend ? [`· ${run.backend}`] : []),
  ].join(' ');
}
