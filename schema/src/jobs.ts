import { z } from 'zod';
import { makeCodec } from './codec.js';
import { genotypeSchema } from './codec.js';
import { datasetSpecSchema, idSchema, isoTimeSchema, runIdSchema, seedSchema, shortText } from './common.js';
import { studyJobSchema } from './study.js';
import { threatModelSchema } from './threat-model.js';

const count = (max: number) => z.number().int().positive().max(max);
const rate = z.number().positive().max(10);

/** Named sets of search settings: `tiny` runs in minutes on a laptop, `paper` is the paper's search. */
export const SEARCH_PRESETS = ['tiny', 'paper'] as const;
export type SearchPresetName = (typeof SEARCH_PRESETS)[number];

/** How contributions are estimated (lrnas-method.md section 5): Shapley permutations or against a reference. */
export const ESTIMATION_MODES = ['shapley', 'reference'] as const;
/** Greedy selection as the method states it, as the released code does it, or DARTS parsing (no greedy). */
export const SELECTION_MODES = ['strict', 'reference', 'no-greedy'] as const;
/** Retraining: plain, PGD adversarial (Madry), TRADES, or FGSM with a random start. */
export const TRAIN_METHODS = ['standard', 'madry', 'trades', 'fgsm-rs'] as const;
/** Learning-rate schedules of retraining. */
export const LR_SCHEDULES = ['cosine', 'step'] as const;

/**
 * The parameter budget a preset selects under when neither the job nor its experiment names one:
 * the paper's 2.0 M at C=36, L=20, and a tiny network's 60,000 at C=8, L=5.
 */
export const PRESET_BUDGETS: Record<SearchPresetName, number> = { tiny: 60_000, paper: 2_000_000 };

/** Search settings (lrnas-method.md sections 2 to 5); unset fields take the preset's value. */
export const searchConfigSchema = z.strictObject({
  preset: z.enum(SEARCH_PRESETS).default('tiny'),
  channels: count(512).optional(),
  layers: count(64).optional(),
  epochs: count(10_000).optional(),
  warmupEpochs: z.number().int().min(0).max(10_000).optional(),
  batchSize: count(4096).optional(),
  learningRate: rate.optional(),
  momentum: z.number().min(0).max(1).optional(),
  weightDecay: z.number().min(0).max(1).optional(),
  gradientClip: z.number().positive().max(1000).optional(),
  partialChannels: count(64).optional(),
  permutations: count(1000).optional(),
  estimateBatchSize: count(4096).optional(),
  estimationMode: z.enum(ESTIMATION_MODES).optional(),
  fgsmEpsilon: z.number().positive().max(1).optional(),
});
export type SearchConfig = z.infer<typeof searchConfigSchema>;

/** Greedy selection under a parameter budget (section 6), counted at the evaluation size. */
export const selectionConfigSchema = z.strictObject({
  budget: z.number().int().positive().max(1e10),
  mode: z.enum(SELECTION_MODES).default('strict'),
  channels: count(512).optional(),
  layers: count(200).optional(),
});
export type SelectionConfig = z.infer<typeof selectionConfigSchema>;

/** Retraining of a fixed genotype (section 7). */
export const trainConfigSchema = z.strictObject({
  method: z.enum(TRAIN_METHODS).default('madry'),
  threatModel: threatModelSchema.optional(),
  channels: count(512).optional(),
  layers: count(200).optional(),
  epochs: count(10_000).optional(),
  batchSize: count(4096).optional(),
  learningRate: rate.optional(),
  momentum: z.number().min(0).max(1).optional(),
  weightDecay: z.number().min(0).max(1).optional(),
  schedule: z.enum(LR_SCHEDULES).optional(),
  milestones: z.array(z.number().int().min(0)).max(32).optional(),
  attackSteps: count(1000).optional(),
  attackStepSize: z.number().positive().max(1).optional(),
  tradesBeta: z.number().positive().max(100).optional(),
  auxiliaryWeight: z.number().min(0).max(10).optional(),
  dropPath: z.number().min(0).max(1).optional(),
  augment: z.boolean().optional(),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;

/**
 * Attacks of evaluation (lrnas-method.md section 7). `cw` is the L-inf Carlini-Wagner margin (PGD-style);
 * `cw-l2` the L2 Carlini-Wagner of torchattacks that the released code evaluates with, which no epsilon bounds
 * (reported beside the threat model's figures, never counted in their worst case). `apgd-t` and `fab-t` are
 * AutoAttack's targeted attacks (9 target classes).
 */
export const ATTACKS = ['fgsm', 'pgd', 'cw', 'cw-l2', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'fab-t', 'square'] as const;
export type AttackName = (typeof ATTACKS)[number];

/** Attacks no epsilon-ball bounds: their robust accuracy is reported apart from the threat model's worst case. */
export const UNBOUNDED_ATTACKS: readonly AttackName[] = ['cw-l2'];

/**
 * Named attack suites, each run AutoAttack-style (`cascade`: an attack runs only on the examples every earlier one
 * failed on). `standard` is AutoAttack's standard suite: APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square
 * (5,000 queries), 100 iterations each, as the attacks' defaults give.
 */
export const ATTACK_SUITES = { standard: ['apgd-ce', 'apgd-t', 'fab-t', 'square'] } as const satisfies Record<
  string,
  readonly AttackName[]
>;
export type AttackSuiteName = keyof typeof ATTACK_SUITES;

/** One attack of an evaluation suite; unset settings take the attack's defaults. */
export const attackSpecSchema = z.strictObject({
  name: z.enum(ATTACKS),
  steps: count(10_000).optional(),
  stepSize: z.number().positive().max(1).optional(),
  restarts: count(100).optional(),
});
export type AttackSpec = z.infer<typeof attackSpecSchema>;

/** Evaluation under attack (section 7). */
export const evaluateConfigSchema = z.strictObject({
  threatModel: threatModelSchema,
  attacks: z.array(attackSpecSchema).min(1).max(16),
  examples: count(1_000_000).optional(),
  batchSize: count(4096).optional(),
  /** Attack only the examples every earlier attack failed on, as AutoAttack does (default false: each attacks all). */
  cascade: z.boolean().optional(),
});
export type EvaluateConfig = z.infer<typeof evaluateConfigSchema>;

const jobBase = {
  v: z.literal(1),
  runId: runIdSchema,
  experimentId: idSchema,
  seed: seedSchema,
  dataset: datasetSpecSchema,
  createdAt: isoTimeSchema,
};

export const searchJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('search'),
  search: searchConfigSchema,
  selection: selectionConfigSchema,
});

export const trainJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('train'),
  genotype: genotypeSchema,
  train: trainConfigSchema,
});

export const evaluateJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('evaluate'),
  /** The TRAIN (or pipeline) run whose weights are attacked. */
  sourceRunId: runIdSchema,
  /** Object-store name of the trained weights. */
  weights: shortText.min(1),
  evaluate: evaluateConfigSchema,
});

export const pipelineJobSchema = z.strictObject({
  ...jobBase,
  kind: z.literal('pipeline'),
  search: searchConfigSchema,
  selection: selectionConfigSchema,
  train: trainConfigSchema,
  evaluate: evaluateConfigSchema,
});

export const jobSchema = z.discriminatedUnion('kind', [
  searchJobSchema,
  trainJobSchema,
  evaluateJobSchema,
  pipelineJobSchema,
  studyJobSchema,
]);
export type Job = z.output<typeof jobSchema>;
export type SearchJob = z.output<typeof searchJobSchema>;
export type TrainJob = z.output<typeof trainJobSchema>;
export type EvaluateJob = z.output<typeof evaluateJobSchema>;
export type PipelineJob = z.output<typeof pipelineJobSchema>;
/** A job of one data set and seed: every kind but `study`, which names its own data sets and seeds. */
export type SingleJob = Exclude<Job, { kind: 'study' }>;
/** A job as a producer writes it: fields with defaults may be left out. */
export type JobInput = z.input<typeof jobSchema>;

/** Codec of every job message; `kind` selects the shape. */
export const jobCodec = makeCodec('job', jobSchema);
