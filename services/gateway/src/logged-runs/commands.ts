// Runs the platform did not start, logged by a client elsewhere. What a client logs becomes the run
// events a worker would have sent, validated by the same contract and written by the same
// applyEvents, so a logged run stores, ranks and streams to subscribers exactly like a worker's:
// metric points are idempotent on (run, key, step), an evaluation lands on the leaderboard.
import type { EntityManager } from '@mikro-orm/core';
import {
  ContractError,
  ErrorCode,
  eventSchema,
  LrnasError,
  parseGenotype,
  type RunEvent,
  type RunStatus as RunStatusName,
} from '@lrnas/schema';
import { requireViewer } from '../auth/access.js';
import type { Viewer } from '../auth/authenticate.js';
import { isTerminal } from '../domain/run-progress.js';
import { ownedExperiment } from '../experiments/commands.js';
import { ownedRun } from '../runs/commands.js';
import { newId, teamRunId } from '../ids.js';
import { applyEvents, type AppliedChanges } from '../ingest/apply-events.js';
import { ApiKey, Run, RunSource, RunStatus, RunStatusChange } from '../persistence/entities/index.js';
import { checkId, checkInt, checkTags, parseContract } from '../validation.js';
import type { CreateRunInput, LogArchitectureInput, LogEvaluationInput, MetricPointInput } from './inputs.js';

/** What a logging command needs. */
export interface LogContext {
  em: EntityManager;
  viewer: Viewer | undefined;
  /** Lock the run's row while applying (PostgreSQL, where replicas write concurrently). */
  lockRuns: boolean;
}

/** A logged run's events all belong to its one attempt. */
const ATTEMPT = 1;
/**
 * Sequence numbers within it: the RUNNING of createRun is 0, what the client logs 1; each status
 * after it (a stage, the final one) the run's last plus one, so it is newer than the one before.
 */
const SEQ = { started: 0, logged: 1 } as const;
/** Largest config a client may attach, in bytes of JSON. */
export const MAX_CONFIG_BYTES = 64 * 1024;
/** Points per logMetrics call: the event contract's batch limit. */
export const MAX_POINTS_PER_CALL = 10_000;

/**
 * Creates a logged run, RUNNING from the start (its client is already computing). Creating it again
 * with the same `runId` returns the first: a client retrying after a lost answer gets one run.
 */
export async function createLoggedRun(ctx: LogContext, input: CreateRunInput): Promise<Run> {
  const experiment = await ownedExperiment(ctx.em, ctx.viewer, input.experimentId, 'createRun');
  if (experiment.archivedAt) {
    throw new LrnasError(ErrorCode.CONFLICT, `experiment ${experiment.id} is archived and takes no new runs`);
  }
  if (input.source === RunSource.WORKER) {
    throw new ContractError(
      'input.source',
      'a logged run comes from CLIENT or CLI; workers take jobs (startSearch...)',
    );
  }
  const clientId = input.runId != null ? checkId('input.runId', input.runId) : undefined;
  const runId = clientId !== undefined ? teamRunId(experiment.team.id, clientId) : newId('run');
  const name = input.name != null ? checkText('input.name', input.name, 200) : undefined;
  const client = input.client != null ? checkText('input.client', input.client, 100) : undefined;
  const seed = input.seed != null ? checkInt('input.seed', input.seed, 0, 2 ** 31 - 1) : 0;
  const tags = checkTags('input.tags', input.tags ?? []);
  const config = input.config ?? {};
  if (Buffer.byteLength(JSON.stringify(config)) > MAX_CONFIG_BYTES) {
    throw new ContractError('input.config', `must be at most ${MAX_CONFIG_BYTES} bytes of JSON`);
  }

  const existing = await ctx.em.findOne(Run, { id: runId }, { populate: ['experiment'] });
  if (existing) {
    if (existing.experiment.id !== experiment.id || existing.source === RunSource.WORKER) {
      throw new ContractError(
        'input.runId',
        `your team already has a run ${clientId} (${existing.source} ${existing.kind} in experiment ${existing.experiment.id})`,
      );
    }
    return existing;
  }
  const key = await ctx.em.findOne(ApiKey, { id: requireViewer(ctx.viewer, 'createRun').keyId });
  const now = new Date();
  const run = ctx.em.create(Run, {
    id: runId,
    ...(clientId !== undefined ? { clientId } : {}),
    experiment,
    kind: input.kind,
    status: RunStatus.RUNNING,
    config,
    seed,
    tags,
    source: input.source,
    name,
    loggedBy: key?.name,
    client,
    attempts: ATTEMPT,
    lastAttempt: ATTEMPT,
    lastSeq: SEQ.started,
    createdAt: now,
    startedAt: now,
    lastEventAt: now,
  });
  ctx.em.create(RunStatusChange, { run, status: RunStatus.RUNNING, attempt: ATTEMPT, at: now });
  await ctx.em.flush();
  return run;
}

/** Stores a batch of metric points of a logged run; a point logged again at its step replaces itself. */
export async function logMetrics(
  ctx: LogContext,
  runId: string,
  points: readonly MetricPointInput[],
): Promise<{ run: Run; changes: AppliedChanges; stored: number }> {
  const run = await loggedRun(ctx, runId, 'logMetrics');
  if (points.length === 0) throw new ContractError('points', 'log at least one point');
  if (points.length > MAX_POINTS_PER_CALL) {
    throw new ContractError('points', `at most ${MAX_POINTS_PER_CALL} points per call, got ${points.length}`);
  }
  const body = {
    type: 'metric',
    points: points.map((p) => ({
      key: p.key,
      step: p.step,
      value: p.value ?? null,
      ...(p.time ? { time: p.time.toISOString() } : {}),
    })),
  };
  const changes = await apply(ctx, run, [{ body, field: '' }]);
  return { run, changes, stored: points.length };
}

/** Records the architecture a logged run found or trained (its run's current architecture). */
export async function logArchitecture(
  ctx: LogContext,
  runId: string,
  input: LogArchitectureInput,
): Promise<{ run: Run; changes: AppliedChanges }> {
  const run = await loggedRun(ctx, runId, 'logArchitecture');
  const genotype = parseGenotype(input.genotype, 'input.genotype');
  const body = {
    type: 'genotype',
    stage: run.stage ?? (run.kind === 'SEARCH' ? 'select' : 'train'),
    genotype,
    network: { ...input.network },
    params: input.params,
    ...(input.flops != null ? { flops: input.flops } : {}),
    final: true,
  };
  const changes = await apply(ctx, run, [{ body, field: 'input' }]);
  return { run, changes };
}

/** Records a result under attack of a logged run's architecture: it ranks on the leaderboard. */
export async function logEvaluation(
  ctx: LogContext,
  runId: string,
  input: LogEvaluationInput,
): Promise<{ run: Run; changes: AppliedChanges }> {
  const run = await loggedRun(ctx, runId, 'logEvaluation');
  if (!run.architecture) {
    throw new LrnasError(
      ErrorCode.CONFLICT,
      `run ${run.id} has no architecture yet: log it (logArchitecture) before its evaluations`,
    );
  }
  const threatModel = input.threatModel ?? {
    norm: run.experiment.threatNorm,
    epsilon: run.experiment.threatEpsilon,
  };
  const attack = Object.fromEntries(Object.entries(input.attack).filter(([, value]) => value != null));
  const body = {
    type: 'evaluation',
    attack,
    threatModel: { norm: threatModel.norm, epsilon: threatModel.epsilon },
    examples: input.examples,
    seed: input.seed ?? 0,
    cleanAccuracy: input.cleanAccuracy,
    robustAccuracy: input.robustAccuracy,
    backend: input.backend ?? 'unknown',
    engineVersion: input.engineVersion ?? 'unknown',
  };
  const changes = await apply(ctx, run, [{ body, field: 'input' }]);
  return { run, changes };
}

/** Records a file a logged run's client uploaded (artifact-upload.ts stored it in the object store). */
export async function recordArtifact(
  ctx: LogContext,
  runId: string,
  artifact: { kind: string; name: string; digest: string; size: number },
): Promise<{ run: Run; changes: AppliedChanges }> {
  const run = await loggedRun(ctx, runId, 'uploadArtifact');
  const changes = await apply(ctx, run, [{ body: { type: 'artifact', ...artifact }, field: '' }]);
  return { run, changes };
}

/** The stage a logged run's client entered (search, select, train, evaluate), shown like a worker's. */
export async function logStage(
  ctx: LogContext,
  runId: string,
  stage: string,
): Promise<{ run: Run; changes: AppliedChanges }> {
  const run = await loggedRun(ctx, runId, 'logStage');
  const body = { type: 'status', status: 'RUNNING', stage };
  const changes = await apply(ctx, run, [{ body, field: '', seq: run.lastSeq + 1 }]);
  return { run, changes };
}

/** A sign of life from a logged run's client, so the run is not marked lost while it computes. */
export async function heartbeat(ctx: LogContext, runId: string): Promise<Run> {
  const run = await loggedRun(ctx, runId, 'heartbeatRun');
  run.lastEventAt = new Date();
  await ctx.em.flush();
  return run;
}

/** Ends a logged run with a final status; finishing it again with the same status changes nothing. */
export async function finishRun(
  ctx: LogContext,
  runId: string,
  status: RunStatusName,
  error: string | undefined,
): Promise<{ run: Run; changes: AppliedChanges | undefined }> {
  if (!isTerminal(status)) {
    throw new ContractError('status', `must be SUCCEEDED, FAILED or CANCELLED, got ${status}`);
  }
  const run = await loggedRun(ctx, runId, 'finishRun', { allowFinished: status });
  if (run.status === status) return { run, changes: undefined };
  const body = {
    type: 'status',
    status,
    ...(error != null ? { error: { code: 'CLIENT', message: error } } : {}),
  };
  const changes = await apply(ctx, run, [{ body, field: '', seq: run.lastSeq + 1 }]);
  return { run, changes };
}

/**
 * The viewer's own logged run `id`, for a change: a worker's run takes no logged data (its worker
 * reports it), and a finished one none either (unless it finished as `allowFinished`, which makes a
 * repeated finishRun harmless).
 */
export async function loggedRun(
  ctx: LogContext,
  id: string,
  action: string,
  options: { allowFinished?: RunStatusName } = {},
): Promise<Run> {
  const run = await ownedRun(ctx.em, ctx.viewer, id, action);
  if (run.source === RunSource.WORKER) {
    throw new ContractError(
      'runId',
      `run ${id} is executed by a worker, which reports on it; only runs made with createRun take logged data`,
    );
  }
  if (isTerminal(run.status as RunStatusName) && run.status !== options.allowFinished) {
    throw new LrnasError(ErrorCode.CONFLICT, `run ${id} is ${run.status} and takes nothing more`);
  }
  return run;
}

/**
 * Applies event bodies to a logged run as its client's attempt: each is validated by the event
 * contract (a bad value names its field under `field`, the argument it came from; '' for fields
 * that are arguments themselves), then written in one transaction by the ingestion's applyEvents.
 */
async function apply(
  ctx: LogContext,
  run: Run,
  bodies: { body: Record<string, unknown>; field: string; seq?: number }[],
): Promise<AppliedChanges> {
  const time = new Date().toISOString();
  const events = bodies.map(({ body, field, seq }) => {
    const event = { v: 1, runId: run.id, attempt: ATTEMPT, seq: seq ?? SEQ.logged, time, ...body };
    return parseContract<RunEvent>(eventSchema, event, field);
  });
  const changes = await ctx.em.transactional((em) =>
    // The client proved who it is with its API key; there is no job signature to check.
    applyEvents(em, events, { lockRuns: ctx.lockRuns, signature: () => 'valid' }),
  );
  const refused = changes.refused[0];
  if (refused) throw new LrnasError(ErrorCode.CONFLICT, `run ${run.id} took nothing: ${refused.detail}`);
  await ctx.em.refresh(run);
  return changes;
}

/** A text of 1 to `max` characters. */
function checkText(field: string, text: string, max: number): string {
  if (text.trim().length === 0 || text.length > max) {
    throw new ContractError(field, `must be 1 to ${max} characters, got ${text.length}`);
  }
  return text;
}
