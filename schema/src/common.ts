import { z } from 'zod';
import { RUN_ID_PATTERN } from './names.js';

/** Caps that keep hostile input from growing without bound. */
export const LIMITS = {
  shortText: 200,
  longText: 8192,
  path: 4096,
  metricPointsPerBatch: 10_000,
  metricsPerSummary: 200,
} as const;

export const runIdSchema = z.string().max(64).regex(RUN_ID_PATTERN, 'must be 1 to 64 letters, digits, "_" or "-"');
export const idSchema = runIdSchema;
export const isoTimeSchema = z.iso.datetime({ offset: true });
export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
export const shortText = z.string().max(LIMITS.shortText);
export const probability = z.number().min(0).max(1);
/** Metric keys such as `train/loss` or `eval:pgd20/robust_acc`. */
export const metricKeySchema = z
  .string()
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9_.:/-]*$/, 'must start with a letter and hold only letters, digits and _ . : / -');
/** A metric value; null stands for a value that was not finite (a diverged loss, say). */
export const metricValueSchema = z.number().nullable();

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'svhn'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Which data set a job reads; the limits make quick runs on a subset. */
export const datasetSpecSchema = z.strictObject({
  name: z.enum(DATASETS),
  trainLimit: z.number().int().positive().max(10_000_000).optional(),
  testLimit: z.number().int().positive().max(10_000_000).optional(),
});
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;

export const STAGES = ['search', 'select', 'train', 'evaluate'] as const;
export type Stage = (typeof STAGES)[number];

/** A 14 x 8 matrix: one row per edge, one column per operation. */
export const edgeOpMatrixSchema = z.array(z.array(z.number()).length(8)).length(14);
export const cellMatricesSchema = z.strictObject({
  normal: edgeOpMatrixSchema,
  reduce: edgeOpMatrixSchema,
});
export type CellMatrices = z.infer<typeof cellMatricesSchema>;
