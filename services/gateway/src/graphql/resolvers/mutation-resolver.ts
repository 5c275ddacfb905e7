import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { createApiKey, listApiKeys, revokeApiKey } from '../../api-keys/commands.js';
import { archiveExperiment, createExperiment } from '../../experiments/commands.js';
import { cancelRun, tagRun } from '../../runs/commands.js';
import { startEvaluation, startPipeline, startSearch, startTraining } from '../../runs/start-run.js';
import type { LiveUpdates } from '../../live/updates.js';
import type { Run as RunRow } from '../../persistence/entities/index.js';
import type { GatewayContext } from '../context.js';
import {
  CreateExperimentInput,
  StartEvaluationInput,
  StartPipelineInput,
  StartSearchInput,
  StartTrainingInput,
} from '../inputs.js';
import { ApiKey, CreatedApiKey, Experiment, Run } from '../types.js';

/**
 * The write side of the API. Every mutation needs an API key of the team that owns what it
 * changes; inputs are validated in src/commands before anything is stored or published.
 */
@Resolver()
export class MutationResolver {
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

  @Mutation(() => CreatedApiKey, { description: 'Creates an API key of your team; its secret is shown only here.' })
  createApiKey(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('name', () => String, { description: 'What the key is for.' }) name: string,
  ) {
    return createApiKey(em, viewer, name);
  }

  @Mutation(() => ApiKey, { description: 'Revokes an API key of your team; it is refused from then on.' })
  revokeApiKey(@Ctx() { em, viewer }: GatewayContext, @Arg('id', () => ID, { description: 'Key id.' }) id: string) {
    return revokeApiKey(em, viewer, id);
  }

  @Query(() => [ApiKey], { description: 'The API keys of your team, newest first.' })
  apiKeys(@Ctx() { em, viewer }: GatewayContext) {
    return listApiKeys(em, viewer);
  }
}

/** Tells subscribers of the run (on every replica) that it changed, once the change is stored. */
async function notifyRun(live: LiveUpdates, change: Promise<RunRow>): Promise<RunRow> {
  const run = await change;
  live.publish([{ type: 'run', runId: run.id, experimentId: run.experiment.id }]);
  return run;
}
