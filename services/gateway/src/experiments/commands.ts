import type { EntityManager } from '@mikro-orm/core';
import { ContractError, LIMITS } from '@lrnas/schema';
import { assertOwner, notFound, requireViewer } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { newId } from '../ids.js';
import { Experiment, Visibility } from '../persistence/entities/index.js';
import { checkTags, checkText, checkThreatModel } from '../validation.js';

/** What a new experiment is made of (the CreateExperimentInput). */
export interface NewExperiment {
  name: string;
  description?: string | null;
  dataset: string;
  threatModel: { norm: string; epsilon: number };
  parameterBudget?: number | null;
  tags?: readonly string[] | null;
  visibility?: Visibility | null;
}

/** Creates an experiment of the viewer's team; every field is validated before anything is stored. */
export async function createExperiment(
  em: EntityManager,
  viewer: Viewer | undefined,
  input: NewExperiment,
): Promise<Experiment> {
  const team = requireViewer(viewer, 'createExperiment').teamId;
  const name = checkText('input.name', input.name, 1, LIMITS.shortText);
  const description =
    input.description != null ? checkText('input.description', input.description, 0, LIMITS.longText) : undefined;
  const threat = checkThreatModel('input.threatModel', input.threatModel);
  const budget = input.parameterBudget;
  if (budget != null && (!Number.isInteger(budget) || budget < 1 || budget > 1e10)) {
    throw new ContractError('input.parameterBudget', 'must be a whole number of parameters from 1 to 10^10');
  }
  const experiment = em.create(Experiment, {
    id: newId('exp'),
    team,
    name,
    description,
    dataset: input.dataset,
    threatNorm: threat.norm,
    threatEpsilon: threat.epsilon,
    parameterBudget: budget ?? undefined,
    tags: checkTags('input.tags', input.tags ?? []),
    visibility: input.visibility ?? Visibility.PRIVATE,
  });
  await em.flush();
  return experiment;
}

/** An experiment of the viewer's team, for a change; NOT_FOUND when hidden, FORBIDDEN when another team's. */
export async function ownedExperiment(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: string,
  action: string,
): Promise<Experiment> {
  const caller = requireViewer(viewer, action);
  const experiment = await em.findOne(Experiment, { id }, { populate: ['team'] });
  if (!experiment || (experiment.visibility !== Visibility.PUBLIC && experiment.team.id !== caller.teamId)) {
    throw notFound('experiment', id);
  }
  assertOwner(caller, experiment, action);
  return experiment;
}

/** Archives an experiment: it stays readable but takes no new runs. Archiving twice is a no-op. */
export async function archiveExperiment(
  em: EntityManager,
  viewer: Viewer | undefined,
  id: string,
): Promise<Experiment> {
  const experiment = await ownedExperiment(em, viewer, id, 'archiveExperiment');
  experiment.archivedAt ??= new Date();
  await em.flush();
  return experiment;
}
