// Results in the API: architectures, evaluations, the leaderboard and its Pareto front, and the
// leaderboard live. The fields of an Evaluation and an Architecture that are not columns are in
// fields.ts.
import { Arg, Args, ArgsType, Ctx, Field, Float, ID, Info, Int, Query, Resolver, Subscription } from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import type { GatewayContext } from '../graphql/context.js';
import { Attack, Dataset } from '../graphql/enums.js';
import { selectsAny } from '../graphql/selection.js';
import { ThreatModelInput } from '../graphql/threat-model.js';
import { refresh, type SubscribeData } from '../live/run-lifetime.js';
import { mayHear } from '../live/updates.js';
import { checkThreatModel } from '../validation.js';
import { findArchitecture, leaderboard, listArchitectures, listEvaluations, paretoRows } from './queries.js';
import { Architecture, Evaluation, LeaderboardEntry } from './types.js';

/** Which leaderboard: the leaderboard query and leaderboardChanged share it (fields in the SDL's order). */
@ArgsType()
export class LeaderboardArgs {
  @Field(() => Attack, { nullable: true, description: 'Rank by this attack alone.' })
  attack?: Attack;

  @Field(() => Float, { nullable: true, description: 'Only architectures this small.' })
  maxParams?: number;

  @Field(() => ThreatModelInput, { description: 'Threat model.' })
  threatModel!: ThreatModelInput;

  @Field(() => Dataset, { description: 'Data set.' })
  dataset!: Dataset;
}

/** Results are read through the runs that produced them: a private experiment's stay its team's. */
@Resolver()
export class ResultsResolver {
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
    @Args(() => LeaderboardArgs) board: LeaderboardArgs,
    @Info() info: GraphQLResolveInfo,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Rows, 1 to 1000, from the top.' }) first?: number,
  ) {
    assertLeaderboardReadable(context);
    return leaderboard(context.em, context.viewer, { ...board, first, suites: selectsSuites(info) });
  }

  @Query(() => [LeaderboardEntry], {
    description: 'The leaderboard entries no other beats on both parameters and robust accuracy, smallest first.',
  })
  paretoFront(
    @Ctx() context: GatewayContext,
    @Arg('dataset', () => Dataset, { description: 'Data set.' }) dataset: Dataset,
    @Arg('threatModel', () => ThreatModelInput, { description: 'Threat model.' }) threatModel: ThreatModelInput,
    @Info() info: GraphQLResolveInfo,
    @Arg('attack', () => Attack, { nullable: true, description: 'Use this attack alone.' }) attack?: Attack,
  ) {
    assertLeaderboardReadable(context);
    return paretoRows(context.em, context.viewer, { dataset, threatModel, attack, suites: selectsSuites(info) });
  }

  @Subscription(() => [LeaderboardEntry], {
    description: 'The leaderboard, each time an evaluation for its data set and threat model is stored.',
    subscribe: async ({
      args,
      context,
    }: SubscribeData<{ dataset: string; threatModel: { norm: string; epsilon: number } }>) => {
      assertLeaderboardReadable(context);
      const threat = checkThreatModel('threatModel', args.threatModel);
      return context.live.listen((u) =>
        u.type === 'leaderboard' &&
        mayHear(u, context.viewer?.teamId) &&
        u.dataset === args.dataset &&
        u.norm === threat.norm &&
        Math.abs(u.epsilon - threat.epsilon) < 1e-6
          ? u
          : undefined,
      );
    },
  })
  leaderboardChanged(
    @Ctx() context: GatewayContext,
    @Args(() => LeaderboardArgs) board: LeaderboardArgs,
    @Info() info: GraphQLResolveInfo,
  ) {
    const fresh = refresh(context);
    return leaderboard(fresh.em, fresh.viewer, { ...board, suites: selectsSuites(info) });
  }
}

/** Whether a leaderboard query reads the rows' suites (what only the evaluations give). */
function selectsSuites(info: GraphQLResolveInfo): boolean {
  return selectsAny(info, ['cleanAccuracy', 'decisive', 'suite']);
}

/** Without the public-leaderboard setting, reading it needs an API key (of any team). */
export function assertLeaderboardReadable({ api, viewer }: Pick<GatewayContext, 'api' | 'viewer'>): void {
  if (!api.publicLeaderboard && !viewer) {
    throw new LrnasError(ErrorCode.UNAUTHENTICATED, 'the leaderboard of this hub needs an API key');
  }
}
