import { LockMode, type EntityManager } from '@mikro-orm/core';
import { genotypeHash, canonicalGenotype, type RunEvent } from '@lrnas/schema';
import { admitEvent, type RefusalReason } from '../domain/event-admission.js';
import { applyStatus, isTerminal, type RunStatusName } from '../domain/run-progress.js';
import { progressAfter, progressAtStage, progressOfStatus } from '../domain/stage-progress.js';
import { evaluationSettingsKey } from '../domain/evaluation-key.js';
import { MetricBatch, type BatchPoint } from '../domain/metric-batch.js';
import { upsertMetricPoints } from './metric-writer.js';
import { applyStudyRow } from './study-rows.js';
import { refreshRunResults } from '../results/run-results.js';
import {
  Architecture,
  ArchitectureFinding,
  Artifact,
  Evaluation,
  Run,
  RunStatusChange,
} from '../persistence/entities/index.js';
import { Visibility, type RunStatus } from '../persistence/entities/index.js';

/** A leaderboard that may have changed, and who may learn that it did. */
export interface LeaderboardChange {
  dataset: string;
  norm: string;
  epsilon: number;
  /** Whether the evaluation belongs to a public experiment; when not, only `teamId` may hear of it. */
  public: boolean;
  teamId: string;
}

/** What a batch changed, so that subscriptions can be told after the commit. */
export interface AppliedChanges {
  /** Runs whose status, stage, progress or architecture changed. */
  runs: Set<string>;
  /** Metric keys that got points, per run. */
  metrics: Map<string, Set<string>>;
  /** The points written, per run, for live subscribers (metricsAdded). */
  points: Map<string, BatchPoint[]>;
  /** Experiment of every run above, so subscribers to an experiment can be told. */
  experimentOf: Map<string, string>;
  /**
   * Leaderboards that may have changed (an evaluation arrived): data set and threat model, and who
   * may see the change (the evaluation's experiment is public, or only its team may).
   */
  leaderboards: Map<string, LeaderboardChange>;
  /** Events about runs the database does not know; they are dropped. */
  unknownRuns: Set<string>;
  /**
   * Events that cannot be applied yet: an evaluation of a run whose genotype has not arrived
   * (replicas ingest in parallel, so events of one run may be stored out of order). The caller
   * hands them back to JetStream for a later delivery.
   */
  deferred: Set<RunEvent>;
  /**
   * Events of an attempt not seen starting (domain/event-admission.ts): its RUNNING may still come,
   * so the caller hands them back for a while, then refuses them as `not_started`.
   */
  unstarted: Set<RunEvent>;
  /** Events whose context contradicts the run's (a stale or stray worker): dropped for good. */
  refused: { event: RunEvent; reason: RefusalReason; detail: string }[];
}

/**
 * Writes a batch of decoded events through `em`, which the caller wraps in one transaction. Every
 * write is an idempotent upsert or a forward-only status change, so a redelivered or replayed
 * batch leaves the database as it was.
 */
export async function applyEvents(
  em: EntityManager,
  events: RunEvent[],
  options: {
    lockRuns?: boolean;
    /**
     * How `event` is signed with its run's key (schema's event-signature.ts): only events signed
     * with the key of the run's job are applied, since any worker login may publish for any run.
     */
    signature: (event: RunEvent, runKey: string | null) => 'valid' | 'missing' | 'invalid';
  },
): Promise<AppliedChanges> {
  const changes: AppliedChanges = {
    runs: new Set(),
    metrics: new Map(),
    points: new Map(),
    experimentOf: new Map(),
    leaderboards: new Map(),
    unknownRuns: new Set(),
    deferred: new Set(),
    unstarted: new Set(),
    refused: [],
  };
  const runIds = [...new Set(events.map((e) => e.runId))];
  const runs = new Map(
    (
      await em.find(
        Run,
        { id: { $in: runIds } },
        // Two replicas may ingest events of one run at once; the row lock makes the second wait
        // and then see the first one's (attempt, seq), so a run never moves backwards.
        {
          populate: ['experiment'],
          ...(options.lockRuns ? { lockMode: LockMode.PESSIMISTIC_WRITE, lockTableAliases: ['r0'] } : {}),
        },
      )
    ).map((r) => [r.id, r]),
  );
  // Status changes are applied in the order the worker made them, whatever order they came in.
  const ordered = [...events].sort((a, b) => a.attempt - b.attempt || a.seq - b.seq);
  // A redelivery's RUNNING in this batch makes the earlier attempt's events in it stale too.
  const announced = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'status') announced.set(e.runId, Math.max(announced.get(e.runId) ?? 0, e.attempt));
  }
  const points = new MetricBatch();
  /** Findings recorded in this batch (not flushed yet, so not found by a query). */
  const findings = new Set<string>();
  /** Runs with an evaluation stored in this batch: their leaderboard summary is rewritten. */
  const evaluated = new Set<string>();

  for (const event of ordered) {
    const run = runs.get(event.runId);
    if (!run) {
      changes.unknownRuns.add(event.runId);
      continue;
    }
    const signature = options.signature(event, run.eventKey);
    if (signature !== 'valid') {
      changes.refused.push(
        signature === 'missing'
          ? { event, reason: 'unsigned', detail: 'the event carries no signature' }
          : { event, reason: 'forged', detail: "the event is not signed with the key of the run's job" },
      );
      continue;
    }
    const admission = admitEvent(
      {
        status: run.status as RunStatusName,
        lastAttempt: run.lastAttempt,
        lastSeq: run.lastSeq,
        workerId: run.workerId,
        announcedAttempt: announced.get(run.id) ?? 0,
      },
      event,
    );
    if (admission.verdict === 'refuse') {
      changes.refused.push({ event, reason: admission.reason, detail: admission.detail });
      continue;
    }
    if (admission.verdict === 'wait') {
      changes.unstarted.add(event);
      continue;
    }
    const time = new Date(event.time);
    changes.experimentOf.set(run.id, run.experiment.id);
    if (!run.lastEventAt || run.lastEventAt < time) run.lastEventAt = time;
    switch (event.type) {
      case 'status': {
        const next = applyStatus(
          {
            status: run.status as RunStatusName,
            stage: run.stage,
            attempts: run.attempts,
            lastAttempt: run.lastAttempt,
            lastSeq: run.lastSeq,
          },
          event,
        );
        if (!next) break;
        Object.assign(run, { ...next, status: next.status as RunStatus });
        if (event.workerId) run.workerId = event.workerId;
        if (event.backend) run.backend = event.backend;
        const stageStart = next.stage ? progressAtStage(run.progress, next.stage, event) : undefined;
        if (stageStart) run.progress = stageStart;
        if (event.progress && next.stage) run.progress = progressOfStatus(next.stage, event.progress, event);
        if (event.error) run.error = event.error;
        else if (next.status === 'SUCCEEDED') run.error = null;
        if (next.status === 'RUNNING') run.startedAt ??= time;
        if (isTerminal(next.status)) run.finishedAt = time;
        em.persist(
          em.create(RunStatusChange, {
            run,
            status: next.status as RunStatus,
            stage: next.stage,
            attempt: event.attempt,
            at: time,
            message: event.error?.message,
          }),
        );
        changes.runs.add(run.id);
        break;
      }
      case 'metric':
        points.add(run.id, event.points, time);
        addMetricKeys(
          changes,
          run.id,
          event.points.map((p) => p.key),
        );
        break;
      case 'epoch': {
        const keys = Object.keys(event.metrics);
        points.add(
          run.id,
          keys.map((key) => ({ key, step: event.epoch, value: event.metrics[key] ?? null })),
          time,
        );
        addMetricKeys(changes, run.id, keys);
        break;
      }
      case 'genotype': {
        const architecture = await upsertArchitecture(em, event, run);
        await recordFinding(em, architecture, run, time, findings);
        if (run.architecture?.hash !== architecture.hash) {
          run.architecture = architecture;
          changes.runs.add(run.id);
        }
        break;
      }
      case 'evaluation': {
        if (!run.architecture) {
          // An evaluation needs the architecture it measured; its genotype event is still to come.
          changes.deferred.add(event);
          break;
        }
        const settingsKey = evaluationSettingsKey(event);
        const existing = await em.findOne(Evaluation, { run, settingsKey });
        const fields = {
          architecture: run.architecture,
          run,
          dataset: run.experiment.dataset,
          attack: event.attack.name,
          attackSettings: settingsOf(event.attack),
          threatNorm: event.threatModel.norm,
          threatEpsilon: event.threatModel.epsilon,
          examples: event.examples,
          seed: event.seed,
          cleanAccuracy: event.cleanAccuracy,
          robustAccuracy: event.robustAccuracy,
          backend: event.backend,
          engineVersion: event.engineVersion,
          settingsKey,
        };
        if (existing) em.assign(existing, fields);
        else em.persist(em.create(Evaluation, fields));
        evaluated.add(run.id);
        const board: LeaderboardChange = {
          dataset: run.experiment.dataset,
          ...event.threatModel,
          public: run.experiment.visibility === Visibility.PUBLIC,
          teamId: run.experiment.team.id,
        };
        changes.leaderboards.set(JSON.stringify(board), board);
        break;
      }
      case 'artifact': {
        const existing = await em.findOne(Artifact, { run, name: event.name });
        const fields = {
          run,
          kind: event.kind,
          name: event.name,
          digest: event.digest,
          size: event.size,
          stage: event.stage,
        };
        if (existing) em.assign(existing, fields);
        else em.persist(em.create(Artifact, fields));
        break;
      }
      case 'progress': {
        const progress = progressAfter(run.progress, event);
        if (progress) {
          run.progress = progress;
          changes.runs.add(run.id);
        }
        break;
      }
      case 'log':
        // A failed attempt's error is kept, so that a run JetStream later gives up on says why.
        if (event.level === 'error' && !isTerminal(run.status as RunStatusName)) {
          run.error = { code: 'ATTEMPT_FAILED', message: event.message };
          changes.runs.add(run.id);
        }
        break;
      case 'study-row': {
        // Only a study's worker sends rows (events are signed with the run's key); any other run's are ignored.
        if (run.kind !== 'STUDY') break;
        const row = await applyStudyRow(em, event, run, time, async (rowRun) => {
          const architecture = await upsertArchitecture(em, event, rowRun);
          await recordFinding(em, architecture, rowRun, time, findings);
          return architecture;
        });
        evaluated.add(row.id);
        changes.runs.add(run.id);
        changes.runs.add(row.id);
        changes.experimentOf.set(row.id, run.experiment.id);
        const board: LeaderboardChange = {
          dataset: event.dataset,
          ...event.threatModel,
          public: run.experiment.visibility === Visibility.PUBLIC,
          teamId: run.experiment.team.id,
        };
        changes.leaderboards.set(JSON.stringify(board), board);
        break;
      }
      case 'snapshot':
        // Architecture-weight snapshots and logs are live-only: they reach subscribers, not tables.
        break;
    }
  }
  await em.flush();
  if (evaluated.size > 0) await refreshRunResults(em, evaluated, { lock: options.lockRuns ?? false });
  if (points.size > 0) {
    changes.points = points.byRun();
    await upsertMetricPoints(em, [...changes.points.values()].flat());
  }
  return changes;
}

async function upsertArchitecture(
  em: EntityManager,
  event: Pick<Extract<RunEvent, { type: 'genotype' }>, 'genotype' | 'params' | 'flops' | 'network'>,
  run: Run,
): Promise<Architecture> {
  const hash = genotypeHash(event.genotype);
  const existing = await em.findOne(Architecture, { hash });
  if (existing) return existing;
  const architecture = em.create(Architecture, {
    hash,
    genotype: canonicalGenotype(event.genotype),
    params: event.params,
    flops: event.flops,
    channels: event.network.channels,
    layers: event.network.layers,
    classes: event.network.classes,
    originRun: run,
  });
  em.persist(architecture);
  return architecture;
}

/** Notes that `run` reported `architecture` (the first time it did), for the viewers of that run. */
async function recordFinding(
  em: EntityManager,
  architecture: Architecture,
  run: Run,
  time: Date,
  recorded: Set<string>,
): Promise<void> {
  const key = `${architecture.hash}\u0000${run.id}`;
  if (recorded.has(key)) return;
  recorded.add(key);
  if (await em.findOne(ArchitectureFinding, { architecture: { hash: architecture.hash }, run: run.id })) return;
  em.persist(em.create(ArchitectureFinding, { architecture, run, foundAt: time }));
}

function settingsOf(attack: {
  steps?: number | undefined;
  stepSize?: number | undefined;
  restarts?: number | undefined;
}): Record<string, number> {
  const settings: Record<string, number> = {};
  if (attack.steps !== undefined) settings.steps = attack.steps;
  if (attack.stepSize !== undefined) settings.stepSize = attack.stepSize;
  if (attack.restarts !== undefined) settings.restarts = attack.restarts;
  return settings;
}

function addMetricKeys(changes: AppliedChanges, runId: string, keys: string[]): void {
  const set = changes.metrics.get(runId) ?? new Set<string>();
  for (const key of keys) set.add(key);
  changes.metrics.set(runId, set);
}
