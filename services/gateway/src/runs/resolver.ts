// Runs in the API: listing and reading them, starting, cancelling and tagging them, and following
// one live. The fields of a Run that are not plain columns are in fields.ts.
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ContractError } from '@lrnas/schema';
import { readableExperiment, readableRun } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { refresh, whileRunLives, type Of, type SubscribeData } from '../live/run-lifetime.js';
import type { LiveUpdates } from '../live/updates.js';
import type { Run as RunRow } from '../persistence/entities/index.js';
import { cancelRun, tagRun } from './commands.js';
import {
  RunPageArgs,
  StartEvaluationInput,
  StartPipelineInput,
  StartSearchInput,
  StartTrainingInput,
} from './inputs.js';
import { listRuns } from './run-list.js';
import { startEvaluation, startPipeline, startSearch, startTraining } from './start-run.js';
import { Run, RunConnection, runConnection } from './types.js';

/**
 * Reading follows the experiment's visibility. Every mutation needs an API key of the team that
 * owns the run's experiment; inputs are validated (start-run.ts, commands.ts) before anything is
 * stored or published.
 */
@Resolver()
export class RunResolver {
  @Query(() => RunConnection, {
    description:
      'Runs you may read that match the filter, sorted, a page at a time (pass pageInfo.endCursor as after).',
  })
  async runs(
    @Ctx() { em, viewer, db }: GatewayContext,
    @Args(() => RunPageArgs) { filter, orderBy, first, after }: RunPageArgs,
  ): Promise<RunConnection> {
    return runConnection(await listRuns(em, db.kind, viewer, { filter, order: orderBy, first, after }));
  }

  @Query(() => Run, { description: 'One run with its configuration, status history, stages, genotype and error.' })
  run(@Ctx() { em, viewer }: GatewayContext, @Arg('id', () => ID, { description: 'Run id.' }) id: string) {
    return readableRun(em, viewer, id);
  }

  @Mutation(() => Run, { description: 'Queues an architecture search and publishes its job.' })
  startSearch(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('input', () => StartSearchInput, { description: 'The search.' }) input: StartSearchInput,
  ) {
    return notifyRun(live, startSearch({ em, viewer, nats }, input));
  }

  @Mutation(() => Run, { description: 'Queues search, selection, training and evaluation as one run.' })
  startPipeline(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('input', () => StartPipelineInput, { description: 'The pipeline.' }) input: StartPipelineInput,
  ) {
    return notifyRun(live, startPipeline({ em, viewer, nats }, input));
  }

  @Mutation(() => Run, { description: 'Queues the adversarial training of a genotype or known architecture.' })
  startTraining(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('input', () => StartTrainingInput, { description: 'The training.' }) input: StartTrainingInput,
  ) {
    return notifyRun(live, startTraining({ em, viewer, nats }, input));
  }

  @Mutation(() => Run, { description: 'Queues attacks on the weights of a succeeded training run.' })
  startEvaluation(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('input', () => StartEvaluationInput, { description: 'The evaluation.' }) input: StartEvaluationInput,
  ) {
    return notifyRun(live, startEvaluation({ em, viewer, nats }, input));
  }

  @Mutation(() => Run, { description: 'Cancels a queued or running run and tells its worker to stop.' })
  cancelRun(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('id', () => ID, { description: 'Run id.' }) id: string,
  ) {
    return notifyRun(live, cancelRun(em, viewer, nats, id));
  }

  @Mutation(() => Run, { description: 'Adds and removes tags of a run.' })
  tagRun(
    @Ctx() { em, viewer, live }: GatewayContext,
    @Arg('id', () => ID, { description: 'Run id.' }) id: string,
    @Arg('add', () => [String], { defaultValue: [], description: 'Tags to add.' }) add: string[],
    @Arg('remove', () => [String], { defaultValue: [], description: 'Tags to remove.' }) remove: string[],
  ) {
    return notifyRun(live, tagRun(em, viewer, id, add, remove));
  }

  @Subscription(() => Run, {
    description:
      'The run (or every run of the experiment) each time its status, stage, progress, genotype or tags change. On one run it completes once the run has ended (at once for a run that had).',
    subscribe: async ({ args, context }: SubscribeData<{ runId?: string | null; experimentId?: string | null }>) => {
      if ((args.runId == null) === (args.experimentId == null)) {
        throw new ContractError('runId', 'give exactly one of runId and experimentId');
      }
      // The run's id, whichever id the caller named it by (its team's own or the run id).
      const runId = args.runId != null ? (await readableRun(context.em, context.viewer, args.runId)).id : undefined;
      if (runId === undefined) {
        await readableExperiment(context.em, context.viewer, args.experimentId!);
        return context.live.listen((u) => (u.type === 'run' && u.experimentId === args.experimentId ? u : undefined));
      }
      return whileRunLives(
        context,
        runId,
        () => context.live.listen((u) => (u.type === 'run' && u.runId === runId ? u : undefined)),
        true,
      );
    },
  })
  runUpdated(
    @Root() update: Of<'run'>,
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { nullable: true, description: 'This run.' }) _runId?: string,
    @Arg('experimentId', () => ID, { nullable: true, description: 'Every run of this experiment.' })
    _experimentId?: string,
  ) {
    const fresh = refresh(context);
    return readableRun(fresh.em, fresh.viewer, update.runId);
  }
}

/** Tells subscribers of the run (on every replica) that it changed, once the change is stored. */
async function notifyRun(live: LiveUpdates, change: Promise<RunRow>): Promise<RunRow> {
  const run = await change;
  live.publish([{ type: 'run', runId: run.id, experimentId: run.experiment.id }]);
  return run;
}
