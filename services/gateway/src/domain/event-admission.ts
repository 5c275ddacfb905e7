/**
 * Whether an event may change a run, judged by the context it claims: its delivery attempt, its
 * sequence within the attempt and, for status events, the worker. Pure: no I/O, no ORM.
 *
 * Every worker may publish events for any run (a NATS permission cannot name runs that do not exist
 * yet), so the gateway accepts an event only when it fits what the run's own events said so far: a
 * stray or stale worker (one whose job was redelivered to another, one still running a run that
 * ended) cannot write results. An event of the attempt that holds the job is accepted as before.
 */
import { isTerminal, type RunStatusName } from './run-progress.js';

/** Why an event was refused; the label of `lrnas_events_refused_total{reason}`. */
export type RefusalReason = 'unsigned' | 'forged' | 'terminal' | 'stale_attempt' | 'worker_mismatch' | 'not_started';

/** Every refusal reason, so that counters can start at zero. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'unsigned',
  'forged',
  'terminal',
  'stale_attempt',
  'worker_mismatch',
  'not_started',
];

/** What the gateway knows of the attempt holding a run's job. */
export interface RunContext {
  status: RunStatusName;
  /** Attempt of the last status event applied (0: none yet). */
  lastAttempt: number;
  /** Sequence of that status event within its attempt. */
  lastSeq: number;
  /** Worker the attempt's status events named, if any. */
  workerId?: string | null | undefined;
  /**
   * The newest attempt that status events of the same batch announce: a redelivery's first
   * events may be stored together with its RUNNING.
   */
  announcedAttempt?: number;
}

/** The part of an event that places it. */
export interface EventPlace {
  type: string;
  attempt: number;
  seq: number;
  workerId?: string | undefined;
}

/**
 * accept: apply it. refuse: drop it for good (and count it). wait: its attempt has not been seen
 * starting yet — its RUNNING may still be on its way (stored out of order by another replica, or
 * redelivered after a gateway crash) — so ask again later, and refuse as `not_started` after a while.
 */
export type Admission =
  | { verdict: 'accept' }
  | { verdict: 'refuse'; reason: RefusalReason; detail: string }
  | { verdict: 'wait'; reason: 'not_started'; detail: string };

/** The verdict on `event` for a run in context `run`. */
export function admitEvent(run: RunContext, event: EventPlace): Admission {
  const current = Math.max(run.lastAttempt, isTerminal(run.status) ? 0 : (run.announcedAttempt ?? 0));
  if (event.attempt < current) {
    return refuse('stale_attempt', `attempt ${event.attempt} is older than the current attempt ${current}`);
  }
  if (isTerminal(run.status)) {
    // The finishing attempt's own events sent before its last status may still come in after it
    // (another replica, a deferred evaluation); anything after it, or from another attempt, is late.
    if (event.attempt === run.lastAttempt && event.seq <= run.lastSeq) return { verdict: 'accept' };
    return refuse('terminal', `the run is ${run.status}`);
  }
  if (event.type === 'status') {
    if (event.attempt === run.lastAttempt && event.workerId && run.workerId && event.workerId !== run.workerId) {
      return refuse(
        'worker_mismatch',
        `attempt ${event.attempt} is held by worker ${run.workerId}, not ${event.workerId}`,
      );
    }
    // A status event of a newer attempt is how a redelivery announces itself.
    return { verdict: 'accept' };
  }
  if (event.attempt > run.lastAttempt) {
    return {
      verdict: 'wait',
      reason: 'not_started',
      detail:
        run.lastAttempt === 0
          ? 'no attempt of the run has started'
          : `attempt ${event.attempt} has not started (current attempt ${run.lastAttempt})`,
    };
  }
  return { verdict: 'accept' };
}

function refuse(reason: RefusalReason, detail: string): Admission {
  return { verdict: 'refuse', reason, detail };
}
