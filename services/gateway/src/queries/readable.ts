import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { readableExperiments, notFound } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import type { Architecture } from '../persistence/entities/index.js';
import { Experiment, Run } from '../persistence/entities/index.js';

/** The experiment, if the viewer may read it; NOT_FOUND otherwise. */
export async function readableExperiment(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: string,
): Promise<Experiment> {
  const experiment = await em.findOne(
    Experiment,
    { $and: [{ id }, readableExperiments(viewer)] },
    { populate: ['team'] },
  );
  if (!experiment) throw notFound('experiment', id);
  return experiment;
}

/** The run, if the viewer may read its experiment; NOT_FOUND otherwise. */
export async function readableRun(em: EntityManager, viewer: Viewer | undefined, id: string): Promise<Run> {
  const run = await em.findOne(
    Run,
    { id, experiment: readableExperiments(viewer) },
    { populate: ['experiment', 'experiment.team', 'architecture'] },
  );
  if (!run) throw notFound('run', id);
  return run;
}

/**
 * Architectures the viewer may see: those found by a run it may read, and those of no known
 * origin. A genotype found in a private experiment is that team's result until published.
 */
export function readableArchitectures(viewer: Viewer | undefined): FilterQuery<Architecture> {
  return { $or: [{ originRun: null }, { originRun: { experiment: readableExperiments(viewer) } }] };
}
