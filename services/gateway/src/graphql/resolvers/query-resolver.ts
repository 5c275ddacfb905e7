import { Arg, Ctx, Float, ID, Int, Query, Resolver } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import { compareRuns } from '../../compare/queries.js';
import { listExperiments } from '../../experiments/queries.js';
import { metricSeries } from '../../metrics/queries.js';
import { readableExperiment, readableRun } from '../../auth/readable.js';
import {
  findArchitecture,
  leaderboard,
  listArchitectures,
  listEvaluations,
  paretoRows,
} from '../../results/queries.js';
import { listRuns } from '../../runs/run-list.js';
import type { GatewayContext } from '../context.js';
import { Attack, Dataset } from '../enums.js';
import { RunFilter, RunOrder, ThreatModelInput } from '../inputs.js';
import {
  Architecture,
  Evaluation,
  Experiment,
  LeaderboardEntry,
  MetricSeries,
  Run,
  RunComparison,
  RunConnection,
} from '../types.js';

/** The read side of the API. Each query validates, delegates to src/queries and returns rows. */
@Resolver()
export class QueryResolver {
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

  @Query(() => RunConnection, {
    description:
      'Runs you may read that match the filter, sorted, a page at a time (pass pageInfo.endCursor as after).',
  })
  async runs(
    @Ctx() { em, viewer, db }: GatewayContext,
    @Arg('filter', () => RunFilter, { nullable: true, description: 'Which runs.' }) filter?: RunFilter,
    @Arg('orderBy', () => RunOrder, { nullable: true, description: 'Order; newest first by default.' })
    orderBy?: RunOrder,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the last run of the previous page.' })
    after?: string,
  ): Promise<RunConnection> {
    const page = await listRuns(em, db.kind, viewer, { filter, order: orderBy, first, after });
    return {
      edges: page.runs.map((run, i) => ({ cursor: page.cursors[i]!, node: run as unknown as Run })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) },
      totalCount: page.totalCount,
    };
  }

  @Query(() => Run, { description: 'One run with its configuration, status history, stages, genotype and error.' })
  run(@Ctx() { em, viewer }: GatewayContext, @Arg('id', () => ID, { description: 'Run id.' }) id: string) {
    return readableRun(em, viewer, id);
  }

  @Query(() => [MetricSeries], {
    description: 'Metric series of a run, each thinned server-side to at most maxPoints points keeping extremes.',
  })
  async metricSeries(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run.' }) runId: string,
    @Arg('keys', () => [String], { nullable: true, description: 'Metric keys; all of the run’s when left out.' })
    keys?: string[],
    @Arg('maxPoints', () => Int, { defaultValue: 500, description: 'Most points per series, 2 to 10000.' })
    maxPoints?: number,
  ) {
    const run = await readableRun(em, viewer, runId);
    return metricSeries(em, run.id, keys, maxPoints ?? 500);
  }

  @Query(() => [Architecture], { description: 'Architectures you may see, smallest first.' })
  architectures(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('minParams', () => Float, { nullable: true, description: 'At least this many parameters.' })
    minParams?: number,
    @Arg('maxParams', () => Float, { nullable: true, description: 'At most this many parameters.' })
    maxParams?: number,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to 200.' }) first?: number,
    @Arg('offset', () => Int, { defaultValue: 0, description: 'Architectures to skip.' }) offset?: number,
  ) {
    return listArchitectures(em, viewer, { minParams, maxParams, first, offset });
  }

  @Query(() => Architecture, {
    nullable: true,
    description: 'One architecture by hash, or by genotype (any equivalent form; null when never seen).',
  })
  architecture(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('hash', () => ID, { nullable: true, description: 'Architecture hash.' }) hash?: string,
    @Arg('genotype', () => GraphQLJSON, { nullable: true, description: 'A genotype, as in the contract.' })
    genotype?: unknown,
  ) {
    return findArchitecture(em, viewer, { hash, genotype });
  }

  @Query(() => [Evaluation], { description: 'Evaluations of runs you may read, newest first.' })
  evaluations(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('runId', () => ID, { nullable: true, description: 'Of this run.' }) runId?: string,
    @Arg('architecture', () => ID, { nullable: true, description: 'Of this architecture (hash).' })
    architecture?: string,
    @Arg('dataset', () => Dataset, { nullable: true, description: 'On this data set.' }) dataset?: Dataset,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, 1 to 500.' }) first?: number,
  ) {
    return listEvaluations(em, viewer, { runId, architecture, dataset, first });
  }

  @Query(() => [LeaderboardEntry], {
    description:
      'Architectures ranked by robust accuracy (worst case over the attack suite) on a data set under a threat model.',
  })
  leaderboard(
    @Ctx() context: GatewayContext,
    @Arg('dataset', () => Dataset, { description: 'Data set.' }) dataset: Dataset,
    @Arg('threatModel', () => ThreatModelInput, { description: 'Threat model.' }) threatModel: ThreatModelInput,
    @Arg('maxParams', () => Float, { nullable: true, description: 'Only architectures this small.' })
    maxParams?: number,
    @Arg('attack', () => Attack, { nullable: true, description: 'Rank by this attack alone.' }) attack?: Attack,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Rows, 1 to 1000, from the top.' }) first?: number,
  ) {
    assertLeaderboardReadable(context);
    return leaderboard(context.em, context.viewer, { dataset, threatModel, maxParams, attack, first });
  }

  @Query(() => [LeaderboardEntry], {
    description: 'The leaderboard entries no other beats on both parameters and robust accuracy, smallest first.',
  })
  paretoFront(
    @Ctx() context: GatewayContext,
    @Arg('dataset', () => Dataset, { description: 'Data set.' }) dataset: Dataset,
    @Arg('threatModel', () => ThreatModelInput, { description: 'Threat model.' }) threatModel: ThreatModelInput,
    @Arg('attack', () => Attack, { nullable: true, description: 'Use this attack alone.' }) attack?: Attack,
  ) {
    assertLeaderboardReadable(context);
    return paretoRows(context.em, context.viewer, { dataset, threatModel, attack });
  }

  @Query(() => RunComparison, { description: 'Runs side by side: differing settings and latest metric values.' })
  compareRuns(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('ids', () => [ID], { description: '1 to 20 run ids.' }) ids: string[],
  ) {
    return compareRuns(em, viewer, ids);
  }
}

/** Without the public-leaderboard setting, reading it needs an API key (of any team). */
export function assertLeaderboardReadable({ api, viewer }: Pick<GatewayContext, 'api' | 'viewer'>): void {
  if (!api.publicLeaderboard && !viewer) {
    throw new LrnasError(ErrorCode.UNAUTHENTICATED, 'the leaderboard of this hub needs an API key');
  }
}
