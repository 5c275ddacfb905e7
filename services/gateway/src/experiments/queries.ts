import type { EntityManager, FilterQuery } from '@mikro-orm/core';
import { readableExperiments } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { Experiment } from '../persistence/entities/index.js';
import { checkInt } from '../validation.js';

/** Experiments the viewer may read, newest first; archived ones only when asked for. */
export async function listExperiments(
  em: EntityManager,
  viewer: Viewer | undefined,
  options: { dataset?: string | null; includeArchived?: boolean | null; first?: number | null; offset?: number | null },
): Promise<Experiment[]> {
  const where: FilterQuery<Experiment> = {
    $and: [
      readableExperiments(viewer),
      options.includeArchived ? {} : { archivedAt: null },
      options.dataset ? { dataset: options.dataset } : {},
    ],
  };
  return em.find(Experiment, where, {
    populate: ['team'],
    orderBy: { createdAt: 'desc', id: 'asc' },
    limit: checkInt('first', options.first ?? 50, 1, 200),
    offset: checkInt('offset', options.offset ?? 0, 0, 1_000_000),
  });
}
