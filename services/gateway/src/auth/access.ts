import type { FilterQuery } from '@mikro-orm/core';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import { type Experiment, Visibility } from '../persistence/entities/index.js';
import type { Viewer } from './authenticate.js';

/** The viewer, or UNAUTHENTICATED: changes always need an API key. */
export function requireViewer(viewer: Viewer | undefined, action: string): Viewer {
  if (!viewer) {
    throw new LrnasError(ErrorCode.UNAUTHENTICATED, `${action} needs an API key: send "Authorization: Bearer <key>"`);
  }
  return viewer;
}

/** Refuses a change to an experiment of another team. */
export function assertOwner(viewer: Viewer, experiment: Experiment, action: string): void {
  if (experiment.team.id !== viewer.teamId) {
    throw new LrnasError(ErrorCode.FORBIDDEN, `${action}: experiment ${experiment.id} belongs to another team`);
  }
}

/** Whether the viewer may read the experiment (and its runs and results). */
export function canRead(viewer: Viewer | undefined, experiment: Experiment): boolean {
  return experiment.visibility === Visibility.PUBLIC || experiment.team.id === viewer?.teamId;
}

/** ORM filter on experiments the viewer may read: public ones and its team's own. */
export function readableExperiments(viewer: Viewer | undefined): FilterQuery<Experiment> {
  return viewer
    ? { $or: [{ visibility: Visibility.PUBLIC }, { team: viewer.teamId }] }
    : { visibility: Visibility.PUBLIC };
}

/** NOT_FOUND, also for things that exist but are hidden from the viewer (their existence is private too). */
export function notFound(what: string, id: string): LrnasError {
  return new LrnasError(ErrorCode.NOT_FOUND, `${what} ${JSON.stringify(id)} not found`);
}
