// Experiments in the API: the queries and mutations on them, and the fields of an Experiment that
// are not plain columns of its row.
import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { readableExperiment } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { Dataset } from '../graphql/enums.js';
import { TouchesStorage } from '../graphql/limits.js';
import { ThreatModel, threatModelOf } from '../graphql/threat-model.js';
import * as rows from '../persistence/entities/index.js';
import { RunPageArgs } from '../runs/inputs.js';
import { listRuns } from '../runs/run-list.js';
import { RunConnection, runConnection } from '../runs/types.js';
import { archiveExperiment, createExperiment } from './commands.js';
import { listExperiments } from './queries.js';
import { CreateExperimentInput, Experiment, Team } from './types.js';

/** Reading needs no key for public experiments; changing one needs a key of the team that owns it. */
@Resolver()
export class ExperimentResolver {
  @Query(() => [Experiment], { description: 'Experiments you may read (public ones and your team’s), newest first.' })
  experiments(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('dataset', () => Dataset, { nullable: true, description: 'Only this data set.' }) dataset?: Dataset,
    @Arg('includeArchived', () => Boolean, { defaultValue: false, description: 'Include archived experiments.' })
    includeArchived?: boolean,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to 200.' }) first?: number,
    @Arg('offset', () => Int, { defaultValue: 0, description: 'Experiments to skip.' }) offset?: number,
  ) {
    return listExperiments(em, viewer, { dataset, includeArchived, first, offset });
  }

  @Query(() => Experiment, { description: 'One experiment by id.' })
  experiment(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('id', () => ID, { description: 'Experiment id.' }) id: string,
  ) {
    return readableExperiment(em, viewer, id);
  }

  @Mutation(() => Experiment, { description: 'Creates an experiment of your team.' })
  createExperiment(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('input', () => CreateExperimentInput, { description: 'The experiment.' }) input: CreateExperimentInput,
  ) {
    return createExperiment(em, viewer, input);
  }

  @Mutation(() => Experiment, { description: 'Archives an experiment: it stays readable and takes no new runs.' })
  archiveExperiment(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('id', () => ID, { description: 'Experiment id.' }) id: string,
  ) {
    return archiveExperiment(em, viewer, id);
  }
}

@Resolver(() => Experiment)
export class ExperimentFields {
  @FieldResolver(() => ThreatModel, { description: 'Threat model its networks are trained and ranked under.' })
  threatModel(@Root() experiment: rows.Experiment): ThreatModel {
    return threatModelOf(experiment);
  }

  @FieldResolver(() => Team, { description: 'The team that owns it.' })
  team(@Root() experiment: rows.Experiment, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Team, experiment.team.id);
  }

  @TouchesStorage()
  @FieldResolver(() => RunConnection, { description: 'Its runs, filtered and sorted like the runs query.' })
  async runs(
    @Root() experiment: rows.Experiment,
    @Ctx() { em, viewer, db }: GatewayContext,
    @Args(() => RunPageArgs) { filter, orderBy, first, after }: RunPageArgs,
  ): Promise<RunConnection> {
    const page = await listRuns(em, db.kind, viewer, {
      filter: { ...(filter ?? {}), and: [...(filter?.and ?? []), { experimentId: experiment.id }] },
      order: orderBy,
      first,
      after,
    });
    return runConnection(page);
  }
}
