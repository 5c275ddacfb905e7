/**
 * A running run whose worker has gone quiet for longer than this is shown as stalled. Workers
 * heartbeat and report progress well inside JetStream's two-minute ack wait, so a silence of that
 * length means JetStream is about to redeliver the job (or give up on it).
 */
export const STALL_AFTER_MS = 2 * 60_000;

/** Whether a run looks stalled at `now`: RUNNING, yet no event for STALL_AFTER_MS. */
export function isStalled(
  run: { status: string; lastEventAt?: Date | null | undefined; startedAt?: Date | null | undefined },
  now: Date,
  thresholdMs = STALL_AFTER_MS,
): boolean {
  if (run.status !== 'RUNNING') return false;
  const heardAt = run.lastEventAt ?? run.startedAt;
  return heardAt !== undefined && heardAt !== null && now.getTime() - heardAt.getTime() > thresholdMs;
}
