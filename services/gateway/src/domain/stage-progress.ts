import type { ProgressEvent } from '@lrnas/schema';

/**
 * How far a run's current stage is, as stored on the run (`Run.progress`): the latest progress event
 * of the stage, or a start at 0 when the stage began and no item is counted yet, so a running stage
 * always has a progress. `attempt` and `seq` place it among the run's events. Pure: no I/O.
 */
export interface StageProgress {
  stage: string;
  /** The part of the stage counted (search, estimate, train, attack); absent before the first count. */
  phase?: string;
  done: number;
  /** Absent while unknown (a stage that has just begun). */
  total?: number;
  /** done / total, 0 to 1. */
  fraction?: number;
  /** Items per second since the phase began. */
  rate?: number;
  etaSeconds?: number;
  /** When the worker measured it (ISO). */
  updatedAt: string;
  attempt: number;
  seq: number;
}

/** Older progress (a replay, or an earlier attempt's) never replaces newer. */
function isNewer(event: { attempt: number; seq: number }, stored: StageProgress | null | undefined): boolean {
  if (!stored || stored.attempt === undefined) return true;
  return event.attempt > stored.attempt || (event.attempt === stored.attempt && event.seq > stored.seq);
}

/** The progress after `event`, or undefined when what is stored is newer. */
export function progressAfter(
  stored: StageProgress | null | undefined,
  event: ProgressEvent,
): StageProgress | undefined {
  if (!isNewer(event, stored)) return undefined;
  return {
    stage: event.stage,
    phase: event.phase,
    done: event.done,
    total: event.total,
    fraction: event.done / event.total,
    ...(event.rate !== undefined && { rate: event.rate }),
    ...(event.etaSeconds !== undefined && { etaSeconds: event.etaSeconds }),
    updatedAt: event.time,
    attempt: event.attempt,
    seq: event.seq,
  };
}

/**
 * The progress once a status event has put the run in `stage`: unchanged while it counts that stage
 * (a repeated RUNNING, a resumed attempt's progress still to come), else the stage's start at 0.
 */
export function progressAtStage(
  stored: StageProgress | null | undefined,
  stage: string,
  event: { attempt: number; seq: number; time: string },
): StageProgress | undefined {
  if (stored?.stage === stage || !isNewer(event, stored)) return undefined;
  return { stage, done: 0, updatedAt: event.time, attempt: event.attempt, seq: event.seq };
}

/** The count a status event carries itself (the contract's first way to report progress). */
export function progressOfStatus(
  stage: string,
  count: { done: number; total: number },
  event: { attempt: number; seq: number; time: string },
): StageProgress {
  return {
    stage,
    done: count.done,
    ...(count.total > 0 && { total: count.total, fraction: Math.min(1, count.done / count.total) }),
    updatedAt: event.time,
    attempt: event.attempt,
    seq: event.seq,
  };
}
