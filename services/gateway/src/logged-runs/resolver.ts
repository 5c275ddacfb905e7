// Logged runs in the API: a client elsewhere creates a run, logs its metrics, architecture and
// evaluations, keeps it alive and finishes it; subscribers hear of each change as of a worker's.
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { RunStatus } from '../graphql/enums.js';
import type { AppliedChanges } from '../ingest/apply-events.js';
import { updatesOf } from '../live/updates.js';
import type { Run as RunRow } from '../persistence/entities/index.js';
import { Run } from '../runs/types.js';
import {
  createLoggedRun,
  finishRun,
  heartbeat,
  logArchitecture,
  logEvaluation,
  logMetrics,
  logStage,
  type LogContext,
} from './commands.js';
import { CreateRunInput, LoggedMetrics, LogArchitectureInput, LogEvaluationInput, MetricPointInput } from './inputs.js';

const logContext = ({ em, viewer, db }: GatewayContext): LogContext => ({
  em,
  viewer,
  lockRuns: db.kind === 'postgresql',
});

@Resolver()
export class LoggedRunResolver {
  @Mutation(() => Run, {
    description:
      'Creates a run that you execute elsewhere and log here (RUNNING at once); creating it again with the same runId returns it.',
  })
  async createRun(
    @Ctx() context: GatewayContext,
    @Arg('input', () => CreateRunInput, { description: 'The run.' }) input: CreateRunInput,
  ): Promise<RunRow> {
    const run = await createLoggedRun(logContext(context), input);
    context.live.publish([{ type: 'run', runId: run.id, experimentId: run.experiment.id }]);
    return run;
  }

  @Mutation(() => LoggedMetrics, {
    description:
      'Stores metric points of a run made with createRun, in one transaction; a point logged again at its (key, step) replaces itself, so a retried batch never duplicates. Counts as a heartbeat.',
  })
  async logMetrics(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
    @Arg('points', () => [MetricPointInput], { description: 'Up to 10,000 points.' }) points: MetricPointInput[],
  ): Promise<LoggedMetrics> {
    const { changes, stored } = await logMetrics(logContext(context), runId, points);
    publish(context, changes);
    return { stored };
  }

  @Mutation(() => Run, {
    description: 'Records the architecture a run made with createRun found or trained. Counts as a heartbeat.',
  })
  async logArchitecture(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
    @Arg('input', () => LogArchitectureInput, { description: 'The architecture.' }) input: LogArchitectureInput,
  ): Promise<RunRow> {
    const { run, changes } = await logArchitecture(logContext(context), runId, input);
    publish(context, changes);
    return run;
  }

  @Mutation(() => Run, {
    description:
      'Records a result under attack of the architecture of a run made with createRun: it ranks on the leaderboard. Counts as a heartbeat.',
  })
  async logEvaluation(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
    @Arg('input', () => LogEvaluationInput, { description: 'The result.' }) input: LogEvaluationInput,
  ): Promise<RunRow> {
    const { run, changes } = await logEvaluation(logContext(context), runId, input);
    publish(context, changes);
    return run;
  }

  @Mutation(() => Run, {
    description:
      'Records the stage a run made with createRun entered (search, select, train or evaluate), shown as a worker’s. Counts as a heartbeat.',
  })
  async logStage(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
    @Arg('stage', () => String, { description: 'search, select, train or evaluate.' }) stage: string,
  ): Promise<RunRow> {
    const { run, changes } = await logStage(logContext(context), runId, stage);
    publish(context, changes);
    return run;
  }

  @Mutation(() => Run, {
    description:
      'Tells the hub that the client of a run made with createRun is alive; a run silent for longer than the hub’s LRNAS_LOST_RUN_TIMEOUT (default 5 minutes) is marked FAILED with error code LOST.',
  })
  async heartbeatRun(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
  ): Promise<RunRow> {
    return heartbeat(logContext(context), runId);
  }

  @Mutation(() => Run, {
    description:
      'Ends a run made with createRun; finishing it again with the same status is harmless. It takes nothing more afterwards.',
  })
  async finishRun(
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run (its id or your runId).' }) runId: string,
    @Arg('status', () => RunStatus, { description: 'SUCCEEDED, FAILED or CANCELLED.' }) status: RunStatus,
    @Arg('error', () => String, { nullable: true, description: 'Why it failed, when it did.' }) error?: string,
  ): Promise<RunRow> {
    const { run, changes } = await finishRun(logContext(context), runId, status, error ?? undefined);
    if (changes) publish(context, changes);
    return run;
  }
}

/** Tells subscribers on every replica what a logging call changed, once it is stored. */
function publish({ live }: GatewayContext, changes: AppliedChanges): void {
  live.publish(updatesOf(changes));
}
