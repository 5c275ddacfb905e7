import type { EntityManager } from '@mikro-orm/core';
import { randomInt } from 'node:crypto';
import {
  ContractError,
  enumName,
  ErrorCode,
  LrnasError,
  jobSchema,
  parseGenotype,
  PRESET_BUDGETS,
  SEARCH_PRESETS,
  type Genotype,
  type Job,
  type JobInput,
  type SearchPresetName,
} from '@lrnas/schema';
import { newEventKey } from '@lrnas/schema/node';
import type { Viewer } from '../auth/authenticate.js';
import { newId, teamRunId } from '../ids.js';
import type { NatsLink } from '../nats-link.js';
import {
  Architecture,
  Artifact,
  type Experiment,
  Run,
  RunKind,
  RunStatus,
  RunStatusChange,
} from '../persistence/entities/index.js';
import { readableArchitectures, readableRun } from '../auth/readable.js';
import { checkId, checkInt, checkTags, parseContract } from '../validation.js';
import { ownedExperiment } from '../experiments/commands.js';
import { publishJob, requireNats } from './job-publisher.js';

/** What a mutation needs to start a run. */
export interface StartContext {
  em: EntityManager;
  viewer: Viewer | undefined;
  nats: NatsLink;
}

/** Settings every start shares (RunStartOptions). */
export interface StartOptions {
  runId?: string | null;
  seed?: number | null;
  trainLimit?: number | null;
  testLimit?: number | null;
  tags?: readonly string[] | null;
}

/** Settings as a start input gives them (settings-inputs.ts): a field the client sent as null is unset. */
type Settings = object | null | undefined;

/** Attacks an evaluation runs when the input names none: PGD with the engine's default settings. */
export const DEFAULT_ATTACKS = [{ name: 'pgd' }];

/** Starts an architecture search of an experiment. */
export async function startSearch(
  ctx: StartContext,
  input: StartOptions & { experimentId: string; search?: Settings; selection?: Settings },
): Promise<Run> {
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, input.experimentId, 'startSearch');
  return launch(ctx, experiment, input, {
    kind: 'search',
    search: settings(input.search),
    selection: selectionOf(experiment, input.selection, input.search),
  });
}

/** Starts search, selection, training and evaluation as one run. */
export async function startPipeline(
  ctx: StartContext,
  input: StartOptions & {
    experimentId: string;
    search?: Settings;
    selection?: Settings;
    train?: Settings;
    evaluate?: Settings;
  },
): Promise<Run> {
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, input.experimentId, 'startPipeline');
  return launch(ctx, experiment, input, {
    kind: 'pipeline',
    search: settings(input.search),
    selection: selectionOf(experiment, input.selection, input.search),
    train: { threatModel: threatOf(experiment), ...settings(input.train) },
    evaluate: evaluateOf(experiment, input.evaluate),
  });
}

/** Starts the training of a genotype, given as such or as the hash of a known architecture. */
export async function startTraining(
  ctx: StartContext,
  input: StartOptions & { experimentId: string; genotype?: unknown; architecture?: string | null; train?: Settings },
): Promise<Run> {
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, input.experimentId, 'startTraining');
  if ((input.genotype == null) === (input.architecture == null)) {
    throw new ContractError('input.genotype', 'give exactly one of genotype and architecture');
  }
  let genotype: Genotype;
  let known: Architecture | null;
  if (input.architecture != null) {
    known = await ctx.em.findOne(Architecture, {
      $and: [{ hash: input.architecture }, readableArchitectures(ctx.viewer)],
    });
    if (!known) throw new ContractError('input.architecture', `no architecture ${input.architecture} is known`);
    genotype = known.genotype;
  } else {
    genotype = parseGenotype(input.genotype, 'input.genotype');
    known = null;
  }
  return launch(
    ctx,
    experiment,
    input,
    { kind: 'train', genotype, train: { threatModel: threatOf(experiment), ...settings(input.train) } },
    { architecture: known ?? undefined },
  );
}

/** Starts the evaluation under attack of the weights a succeeded training (or pipeline) run produced. */
export async function startEvaluation(
  ctx: StartContext,
  input: StartOptions & { trainedRunId: string; evaluate?: Settings },
): Promise<Run> {
  const trained = await readableRun(ctx.em, ctx.viewer, input.trainedRunId);
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, trained.experiment.id, 'startEvaluation');
  if (trained.kind !== RunKind.TRAIN && trained.kind !== RunKind.PIPELINE) {
    throw new ContractError(
      'input.trainedRunId',
      `run ${trained.id} is a ${trained.kind} run; give a TRAIN or PIPELINE run`,
    );
  }
  if (trained.status !== RunStatus.SUCCEEDED) {
    throw new LrnasError(
      ErrorCode.CONFLICT,
      `run ${trained.id} is ${trained.status}; only a SUCCEEDED run has final weights`,
    );
  }
  const weights = await ctx.em.findOne(Artifact, { run: trained, kind: 'weights' }, { orderBy: { id: 'desc' } });
  if (!weights || !trained.architecture) {
    throw new LrnasError(ErrorCode.CONFLICT, `run ${trained.id} reported no trained weights and genotype to attack`);
  }
  return launch(
    ctx,
    experiment,
    input,
    {
      kind: 'evaluate',
      sourceRunId: trained.id,
      weights: weights.name,
      evaluate: evaluateOf(experiment, input.evaluate),
    },
    // The evaluation's results belong to the trained architecture; its events carry no genotype.
    { parent: trained, architecture: trained.architecture },
  );
}

/**
 * Starts a study of an experiment: its rows are filed under the experiment (each row a run of its own, on the
 * leaderboard of the row's data set); the study names its data sets and seeds itself.
 */
export async function startStudy(
  ctx: StartContext,
  input: { experimentId: string; runId?: string | null; tags?: readonly string[] | null; study?: Settings },
): Promise<Run> {
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, input.experimentId, 'startStudy');
  const study = settings(input.study);
  const seeds = Array.isArray(study.seeds) ? (study.seeds as unknown[]) : [];
  // The run's seed column holds the study's first seed (the preset's first is 0); the job carries them all.
  const first = seeds[0];
  const seed = Number.isSafeInteger(first) && (first as number) >= 0 && (first as number) < 2 ** 31 ? first : 0;
  return launch(
    ctx,
    experiment,
    { runId: input.runId, tags: input.tags, seed: seed as number },
    { kind: 'study', study },
  );
}

/**
 * The common path of every start: validate the whole job with the contract's schema, store the
 * run QUEUED, then publish the job with the run id as message id. A start repeated with the same
 * run id returns the stored run and republishes its job only if it is still untouched (JetStream
 * drops the copy if the first publish got through).
 */
async function launch(
  ctx: StartContext,
  experiment: Experiment,
  options: StartOptions,
  body: Record<string, unknown> & { kind: Job['kind'] },
  links: { parent?: Run | undefined; architecture?: Architecture | undefined } = {},
): Promise<Run> {
  if (experiment.archivedAt) {
    throw new LrnasError(ErrorCode.CONFLICT, `experiment ${experiment.id} is archived and takes no new runs`);
  }
  const clientId = options.runId != null ? checkId('input.runId', options.runId) : undefined;
  // The experiment is the viewer's own (ownedExperiment), so its team scopes the client's id.
  const runId = clientId !== undefined ? teamRunId(experiment.team.id, clientId) : newId('run');
  const seed = options.seed != null ? checkInt('input.seed', options.seed, 0, 2 ** 31 - 1) : randomInt(2 ** 31 - 1);
  const dataset: Record<string, unknown> = { name: experiment.dataset };
  if (options.trainLimit != null) dataset.trainLimit = checkInt('input.trainLimit', options.trainLimit, 1, 10_000_000);
  if (options.testLimit != null) dataset.testLimit = checkInt('input.testLimit', options.testLimit, 1, 10_000_000);
  const tags = checkTags('input.tags', options.tags ?? []);
  const draft = {
    v: 1,
    runId,
    experimentId: experiment.id,
    // A study names its own data sets and seeds.
    ...(body.kind !== 'study' && { seed, dataset }),
    createdAt: new Date().toISOString(),
    ...body,
  } as JobInput;
  const job = parseContract<Job>(jobSchema, draft, 'input');
  // The run's kind is the job's, as the API spells it (`pipeline` is PIPELINE).
  const kind: RunKind = enumName(job.kind);
  const nc = requireNats(ctx.nats);

  const existing = await ctx.em.findOne(Run, { id: runId }, { populate: ['experiment'] });
  if (existing) {
    // Only the team's own runs can be here: the answer says nothing about other teams.
    if (existing.experiment.id !== experiment.id || existing.kind !== kind) {
      throw new ContractError(
        'input.runId',
        `your team already has a run ${clientId} (${existing.kind} in experiment ${existing.experiment.id})`,
      );
    }
    if (existing.status === RunStatus.QUEUED && !existing.lastEventAt && existing.eventKey) {
      await publishJob(nc, { ...(existing.config as Job), runId }, existing.eventKey);
    }
    return existing;
  }
  const eventKey = newEventKey();
  const run = ctx.em.create(Run, {
    id: runId,
    eventKey,
    ...(clientId !== undefined ? { clientId } : {}),
    experiment,
    kind,
    status: RunStatus.QUEUED,
    config: job as unknown as Record<string, unknown>,
    seed,
    tags,
    parent: links.parent,
    architecture: links.architecture,
  });
  ctx.em.create(RunStatusChange, { run, status: RunStatus.QUEUED, attempt: 0, at: run.createdAt });
  await ctx.em.flush();
  await publishJob(nc, job, eventKey);
  return run;
}

function threatOf(experiment: Experiment): { norm: string; epsilon: number } {
  return { norm: experiment.threatNorm, epsilon: experiment.threatEpsilon };
}

/**
 * The selection settings of a job: the input's, over the experiment's budget, over the budget of the
 * search's preset (tiny when none is named), so a run always has one.
 */
function selectionOf(experiment: Experiment, selection: Settings, search: Settings): Record<string, unknown> {
  const preset = settings(search).preset ?? 'tiny';
  if (!(SEARCH_PRESETS as readonly unknown[]).includes(preset)) {
    throw new ContractError(
      'input.search.preset',
      `must be one of ${SEARCH_PRESETS.join(', ')}, got ${JSON.stringify(preset)}`,
    );
  }
  return {
    budget: experiment.parameterBudget ?? PRESET_BUDGETS[preset as SearchPresetName],
    ...settings(selection),
  };
}

function evaluateOf(experiment: Experiment, evaluate: Settings): Record<string, unknown> {
  return { threatModel: threatOf(experiment), attacks: DEFAULT_ATTACKS, ...settings(evaluate) };
}

/**
 * Settings as the contract takes them: plain objects without the fields a client sent as null (the
 * contract's optional settings are absent or valid, never null), at any depth.
 */
function settings(value: Settings): Record<string, unknown> {
  if (value == null) return {};
  const plain = (item: unknown): unknown =>
    Array.isArray(item) ? item.map(plain) : typeof item === 'object' && item !== null ? settings(item) : item;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field != null)
      .map(([key, field]) => [key, plain(field)]),
  );
}
