/**
 * How a run's status moves as events arrive. Pure: no I/O, no ORM. Events of a run can arrive
 * twice (redelivery, replay) or out of order (several subjects, a worker that died and one that
 * resumed), so a status event is applied only when it is newer than the last one applied, and a
 * finished run stays finished.
 */
import { isTerminalRunStatus, TERMINAL_RUN_STATUSES, type RunStatus } from '@lrnas/schema';

/** A run's status: the contract's RUN_STATUSES. */
export type RunStatusName = RunStatus;

/** Statuses a run never leaves (the contract's TERMINAL_RUN_STATUSES). */
export const TERMINAL_STATUSES: readonly RunStatusName[] = TERMINAL_RUN_STATUSES;

/** Whether a run in this status will never change again. */
export function isTerminal(status: RunStatusName): boolean {
  return isTerminalRunStatus(status);
}

/** The part of a run that status events change. */
export interface RunProgressState {
  status: RunStatusName;
  stage?: string | undefined;
  attempts: number;
  lastAttempt: number;
  lastSeq: number;
}

/** What a status event says. */
export interface StatusUpdate {
  attempt: number;
  seq: number;
  status: RunStatusName;
  stage?: string | undefined;
}

/** Position of an event in a run's history: later attempts first, then sequence within one. */
export function isNewer(
  update: { attempt: number; seq: number },
  state: { lastAttempt: number; lastSeq: number },
): boolean {
  return update.attempt > state.lastAttempt || (update.attempt === state.lastAttempt && update.seq > state.lastSeq);
}

/**
 * The state after `update`, or undefined when the update changes nothing: it is a replay or older
 * than what was applied, or the run already finished.
 */
export function applyStatus(state: RunProgressState, update: StatusUpdate): RunProgressState | undefined {
  if (isTerminal(state.status) || !isNewer(update, state)) return undefined;
  return {
    status: update.status,
    stage: update.stage ?? state.stage,
    attempts: Math.max(state.attempts, update.attempt),
    lastAttempt: update.attempt,
    lastSeq: update.seq,
  };
}
