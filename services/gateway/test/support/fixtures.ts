import type { EntityManager } from '@mikro-orm/core';
import { Experiment, Run, RunKind, Team } from '../../src/persistence/entities/index.js';

/** A team, an MNIST experiment (L-inf 0.3) and one run of it, flushed; ids end in `suffix`. */
export async function createRunFixture(
  em: EntityManager,
  suffix: string,
  options: { kind?: RunKind; parameterBudget?: number } = {},
): Promise<{ team: Team; experiment: Experiment; run: Run }> {
  const team = em.create(Team, { id: `team-${suffix}`, name: `team ${suffix}` });
  const experiment = em.create(Experiment, {
    id: `exp-${suffix}`,
    team,
    name: 'robust mnist',
    dataset: 'mnist',
    threatNorm: 'linf',
    threatEpsilon: 0.3,
    parameterBudget: options.parameterBudget,
  });
  const run = em.create(Run, {
    id: `run-${suffix}`,
    experiment,
    kind: options.kind ?? RunKind.SEARCH,
    config: {},
    seed: 1,
  });
  await em.flush();
  return { team, experiment, run };
}
