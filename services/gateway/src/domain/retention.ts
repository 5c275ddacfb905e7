/**
 * Checkpoint retention, pure. Checkpoints let a run resume; once it has ended nothing resumes it,
 * so they only cost space. The weights, genotype and report are results and are kept.
 */

/** The artifact kind that retention removes; the others are results. */
export const RETAINED_KIND = 'checkpoint';

/** Runs that ended before this time lose their checkpoints; undefined when kept forever (0). */
export function checkpointCutoff(now: Date, retentionMs: number): Date | undefined {
  return retentionMs > 0 ? new Date(now.getTime() - retentionMs) : undefined;
}

/** How often to sweep: a tenth of the retention, between a minute and an hour. */
export function sweepInterval(retentionMs: number): number {
  return Math.min(60 * 60_000, Math.max(60_000, Math.round(retentionMs / 10)));
}
