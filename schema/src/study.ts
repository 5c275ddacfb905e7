import { z } from 'zod';
import { makeCodec } from './codec.js';
import { DATASETS, idSchema, isoTimeSchema, runIdSchema, seedSchema } from './common.js';

/**
 * The study of issue 15: LRNAS against its ablations and baselines at one parameter budget, every row retrained
 * with the same adversarial protocol and attacked with the same suite, over several seeds.
 */

/**
 * Rows of a study. `lrnas`: search + greedy selection, strict. Ablations: `no-greedy` (DARTS parsing of the same
 * search), `no-warmup` (contribution scoring from epoch 0), `reference-estimation` (the released code's estimation
 * instead of Shapley). Baselines at the same budget: `random` (random genotypes sampled within it), `darts-v2` and
 * `lrnas-c10` (published cells, channels scaled to it), `resnet` (a residual chain of convolutions in the cell
 * space, channels scaled to it).
 */
export const STUDY_ARMS = [
  'lrnas',
  'no-greedy',
  'no-warmup',
  'reference-estimation',
  'random',
  'darts-v2',
  'lrnas-c10',
  'resnet',
] as const;
export type StudyArm = (typeof STUDY_ARMS)[number];

/**
 * Named study settings: `small` takes about 80 minutes on two idle cores (the engine records its timing and why each
 * value).
 */
export const STUDY_PRESETS = ['small'] as const;
export type StudyPresetName = (typeof STUDY_PRESETS)[number];

const count = (max: number) => z.number().int().positive().max(max);

/** A study's settings; unset fields take the preset's value. */
export const studyConfigSchema = z.strictObject({
  preset: z.enum(STUDY_PRESETS).default('small'),
  datasets: z.array(z.enum(DATASETS)).min(1).max(DATASETS.length).optional(),
  arms: z.array(z.enum(STUDY_ARMS)).min(1).max(STUDY_ARMS.length).optional(),
  /** Seeds of every row: search, sampling, retraining and attacks. */
  seeds: z.array(seedSchema).min(1).max(16).optional(),
  /** Parameters of every row's evaluation network. */
  budget: z.number().int().positive().max(1e10).optional(),
  /** Random genotypes per seed of the `random` row. */
  randomArchitectures: count(16).optional(),
  searchEpochs: count(10_000).optional(),
  trainEpochs: count(10_000).optional(),
  trainLimit: count(1_000_000).optional(),
  evalExamples: count(1_000_000).optional(),
});
export type StudyConfig = z.output<typeof studyConfigSchema>;

/**
 * A study job: one of the worker's job kinds (`jobSchema`), started by the gateway's startStudy. Unlike the other
 * kinds it has no single data set or seed: its settings name several of each.
 */
export const studyJobSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('study'),
  runId: runIdSchema,
  experimentId: idSchema,
  createdAt: isoTimeSchema,
  study: studyConfigSchema,
});
export type StudyJob = z.output<typeof studyJobSchema>;

/** Codec of study job messages. */
export const studyJobCodec = makeCodec('study job', studyJobSchema);

/** A mean and its spread (sample standard deviation; 0 for a single value) over a study row's seeds. */
export interface MeanSpread {
  mean: number;
  spread: number;
  n: number;
}

/** Mean and sample standard deviation of `values` (the study table's mean ± spread, engine and gateway alike). */
export function meanSpread(values: readonly number[]): MeanSpread {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((a, b) => a + b, 0) / n;
  const spread = n < 2 ? 0 : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, spread, n };
}
