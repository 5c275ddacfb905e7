import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { readableExperiments, notFound } from './access.js';
import type { Viewer } from './authenticate.js';
import { teamRunId } from '../ids.js';
import type { Architecture } from '../persistence/entities/index.js';
import { ArchitectureFinding, Experiment, Run } from '../persistence/entities/index.js';

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

/**
 * The run, if the viewer may read its experiment; NOT_FOUND otherwise. `id` is a run id or, for a
 * caller with a key, the id its team chose when starting the run (its own runs first).
 */
export async function readableRun(em: EntityManager, viewer: Viewer | undefined, id: string): Promise<Run> {
  const own = viewer ? teamRunId(viewer.teamId, id) : undefined;
  const found = await em.find(
    Run,
    { id: own ? { $in: [own, id] } : id, experiment: readableExperiments(viewer) },
    { populate: ['experiment', 'experiment.team', 'architecture'] },
  );
  const run = found.find((r) => r.id === own) ?? found[0];
  if (!run) throw notFound('run', id);
  return run;
}

/**
 * Architectures the viewer may see: those reported by a run it may read (its team's own, or a
 * public one), and those no stored run reported. A genotype found only in a private experiment is
 * that team's result until published; another team that finds it too sees it as its own finding.
 */
export function readableArchitectures(viewer: Viewer | undefined): FilterQuery<Architecture> {
  return {
    $or: [{ findings: { $some: { run: { experiment: readableExperiments(viewer) } } } }, { findings: { $none: {} } }],
  };
}

/** Findings of one request, per architecture: each is read once however many fields ask. */
const firstFindings = new WeakMap<EntityManager, Map<string, Promise<ArchitectureFinding | null>>>();

/**
 * The earliest report of the architecture by a run the viewer may read, or null: what the viewer
 * is shown as when and by which run it was found, so another team's private finding shows nothing.
 */
export function firstReadableFinding(
  em: EntityManager,
  viewer: Viewer | undefined,
  hash: string,
): Promise<ArchitectureFinding | null> {
  const cache = firstFindings.get(em) ?? new Map<string, Promise<ArchitectureFinding | null>>();
  firstFindings.set(em, cache);
  let found = cache.get(hash);
  if (!found) {
    found = em.findOne(
      ArchitectureFinding,
      { architecture: { hash }, run: { experiment: readableExperiments(viewer) } },
      { orderBy: { foundAt: 'asc', id: 'asc' }, populate: ['run'] },
    );
    cache.set(hash, found);
  }
  return found;
}
