import type { EntityManager } from '@mikro-orm/core';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import type { Viewer } from '../auth/authenticate.js';
import { isTerminal, type RunStatusName } from '../domain/run-progress.js';
import type { NatsLink } from '../nats-link.js';
import { type Run, RunStatus, RunStatusChange } from '../persistence/entities/index.js';
import { readableRun } from '../auth/readable.js';
import { checkTags } from '../validation.js';
import { ownedExperiment } from '../experiments/commands.js';
import { publishCancel, requireNats } from './job-publisher.js';

/** A run of the viewer's team, for a change. */
export async function ownedRun(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: string,
  action: string,
): Promise<Run> {
  const run = await readableRun(em, viewer, id);
  await ownedExperiment(em, viewer, run.experiment.id, action);
  return run;
}

/**
 * Cancels a run: it becomes CANCELLED at once (so nothing its job reports later moves it) and
 * the worker running it is told on the run's control subject. Cancelling a cancelled run is a
 * no-op; a run that already succeeded or failed cannot be cancelled.
 */
export async function cancelRun(
  em: EntityManager,
  viewer: Viewer | undefined,
  nats: NatsLink,
  id: string,
): Promise<Run> {
  const run = await ownedRun(em, viewer, id, 'cancelRun');
  if (run.status === RunStatus.CANCELLED) return run;
  if (isTerminal(run.status as RunStatusName)) {
    throw new LrnasError(ErrorCode.CONFLICT, `run ${run.id} already ${run.status}; there is nothing to cancel`);
  }
  // Before anything changes: a cancel that cannot reach the workers is refused whole.
  requireNats(nats);
  const now = new Date();
  run.status = RunStatus.CANCELLED;
  run.finishedAt = now;
  em.create(RunStatusChange, {
    run,
    status: RunStatus.CANCELLED,
    stage: run.stage,
    attempt: run.lastAttempt,
    at: now,
    message: 'cancelled through the API',
  });
  await em.flush();
  await publishCancel(nats, run.id, 'cancelled through the API');
  return run;
}

/** Adds and removes tags of a run. */
export async function tagRun(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: string,
  add: readonly string[],
  remove: readonly string[],
): Promise<Run> {
  const run = await ownedRun(em, viewer, id, 'tagRun');
  const added = checkTags('add', add);
  const removed = new Set(checkTags('remove', remove));
  run.tags = checkTags(
    'add',
    [...run.tags, ...added].filter((t) => !removed.has(t)),
  );
  await em.flush();
  return run;
}
