import { z } from 'zod';
import { makeCodec, genotypeSchema } from './codec.js';
import {
  LIMITS,
  STAGES,
  cellMatricesSchema,
  isoTimeSchema,
  metricKeySchema,
  metricValueSchema,
  probability,
  runIdSchema,
  seedSchema,
  shortText,
} from './common.js';
import { attackSpecSchema } from './jobs.js';
import { DATASETS } from './common.js';
import { STUDY_ARMS } from './study.js';
import { threatModelSchema } from './threat-model.js';

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * Every event names its run, the delivery attempt that produced it and a sequence number that
 * rises within the attempt, so that a consumer can drop replays and order what it keeps.
 */
const envelope = {
  v: z.literal(1),
  runId: runIdSchema,
  attempt: z.number().int().min(1).max(10_000),
  seq: z.number().int().min(0),
  time: isoTimeSchema,
};
const stage = z.enum(STAGES);
const count = z.number().int().min(0);

/** The evaluation network a genotype's counts are for (genotype and study-row events). */
const networkSchema = z.strictObject({
  channels: z.number().int().min(1).max(1024),
  layers: z.number().int().min(1).max(200),
  classes: z.number().int().min(2).max(100_000),
  inputChannels: z.number().int().min(1).max(16),
  imageSize: z.number().int().min(1).max(4096),
});

export const statusEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('status'),
  status: z.enum(RUN_STATUSES),
  stage: stage.optional(),
  workerId: shortText.optional(),
  backend: shortText.optional(),
  progress: z.strictObject({ done: count, total: count }).optional(),
  error: z.strictObject({ code: shortText, message: z.string().max(LIMITS.longText) }).optional(),
});

export const metricEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('metric'),
  points: z
    .array(
      z.strictObject({
        key: metricKeySchema,
        step: count,
        value: metricValueSchema,
        /** When the point was measured, where it differs from the event's time (a logged run's batches). */
        time: isoTimeSchema.optional(),
      }),
    )
    .min(1)
    .max(LIMITS.metricPointsPerBatch),
});

export const epochEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('epoch'),
  stage,
  epoch: count,
  epochs: z.number().int().min(1),
  seconds: z.number().min(0),
  metrics: z
    .record(metricKeySchema, metricValueSchema)
    .refine((m) => Object.keys(m).length <= LIMITS.metricsPerSummary, {
      message: `at most ${LIMITS.metricsPerSummary} metrics per summary`,
    }),
});

/** Architecture weights and, once scoring has started, the contribution values behind them. */
export const snapshotEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('snapshot'),
  epoch: count,
  alphas: cellMatricesSchema,
  contributions: cellMatricesSchema.optional(),
});

export const genotypeEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('genotype'),
  stage,
  epoch: count.optional(),
  genotype: genotypeSchema,
  /** The evaluation network the counts below are for. */
  network: networkSchema,
  params: count,
  flops: count.optional(),
  /** True for the genotype the run settled on; false for per-epoch snapshots. */
  final: z.boolean(),
});

export const evaluationEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('evaluation'),
  /** The attack as it ran: the settings the job left unset hold the defaults the engine used. */
  attack: attackSpecSchema,
  threatModel: threatModelSchema,
  examples: z.number().int().min(1),
  seed: seedSchema,
  cleanAccuracy: probability,
  robustAccuracy: probability,
  backend: shortText,
  engineVersion: shortText,
});

export const ARTIFACT_KINDS = ['checkpoint', 'weights', 'genotype', 'report'] as const;
export const artifactEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('artifact'),
  kind: z.enum(ARTIFACT_KINDS),
  stage: stage.optional(),
  name: shortText.min(1),
  digest: shortText.min(1),
  size: count,
});

export const logEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string().max(LIMITS.longText),
});

/** The part of a stage's work each progress event counts. */
export const PROGRESS_PHASES = ['search', 'estimate', 'train', 'attack'] as const;
export type ProgressPhase = (typeof PROGRESS_PHASES)[number];

/**
 * How far the running stage is: `done` of `total` items of a phase (search or training steps over
 * the stage, masks of an epoch's contribution estimate, attacked examples), with the rate since the
 * phase began and the time left at that rate. Workers send one every few seconds at most (the
 * latest, coalesced), and at once when a phase begins.
 */
export const progressEventSchema = z
  .strictObject({
    ...envelope,
    type: z.literal('progress'),
    stage,
    phase: z.enum(PROGRESS_PHASES),
    done: count,
    total: z.number().int().min(1),
    /** Items per second since the phase began; absent until it can be measured. */
    rate: z.number().min(0).max(1e9).optional(),
    etaSeconds: z.number().min(0).max(1e9).optional(),
  })
  .refine((e) => e.done <= e.total, { message: 'done must not exceed total', path: ['done'] });

/**
 * One finished row of a study (a network retrained and attacked), sent as soon as it is done so the dashboard
 * fills in live; `done` of `total` rows are finished. A resumed study sends its earlier rows again: the gateway
 * keys a row by (study run, `key`), so a repeat overwrites. Each row becomes a run of its own on the leaderboard.
 */
export const studyRowEventSchema = z.strictObject({
  ...envelope,
  type: z.literal('study-row'),
  /** The row's name within its study, e.g. `mnist/seed-0/random-1`. */
  key: z.string().min(1).max(120),
  dataset: z.enum(DATASETS),
  arm: z.enum(STUDY_ARMS),
  seed: seedSchema,
  /** Which random genotype of its seed (0 for every other arm). */
  index: z.number().int().min(0).max(1000),
  genotype: genotypeSchema,
  network: networkSchema,
  params: count,
  flops: count,
  threatModel: threatModelSchema,
  examples: z.number().int().min(1),
  cleanAccuracy: probability,
  /** Per example worst case over the attacks. */
  worstCase: probability,
  attacks: z
    .array(z.strictObject({ attack: attackSpecSchema, robustAccuracy: probability }))
    .min(1)
    .max(16),
  seconds: z.number().min(0),
  backend: shortText,
  engineVersion: shortText,
  done: count,
  total: z.number().int().min(1),
});

export const eventSchema = z.discriminatedUnion('type', [
  statusEventSchema,
  metricEventSchema,
  epochEventSchema,
  snapshotEventSchema,
  genotypeEventSchema,
  evaluationEventSchema,
  artifactEventSchema,
  logEventSchema,
  progressEventSchema,
  studyRowEventSchema,
]);
export type RunEvent = z.output<typeof eventSchema>;
export type StatusEvent = z.output<typeof statusEventSchema>;
export type MetricEvent = z.output<typeof metricEventSchema>;
export type EpochEvent = z.output<typeof epochEventSchema>;
export type SnapshotEvent = z.output<typeof snapshotEventSchema>;
export type GenotypeEvent = z.output<typeof genotypeEventSchema>;
export type EvaluationEvent = z.output<typeof evaluationEventSchema>;
export type ArtifactEvent = z.output<typeof artifactEventSchema>;
export type LogEvent = z.output<typeof logEventSchema>;
export type ProgressEvent = z.output<typeof progressEventSchema>;
export type StudyRowEvent = z.output<typeof studyRowEventSchema>;

/** The fields every event's envelope has; a producer adds them to an event's body. */
export type EventEnvelope = 'v' | 'runId' | 'attempt' | 'seq' | 'time';
/** An event without its envelope: what a job reports, before a producer numbers and sends it. */
export type RunEventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, EventEnvelope> : never) : never;

/** Codec of every event message; `type` selects the shape and matches the subject's last token. */
export const eventCodec = makeCodec('event', eventSchema);
