import {
  apiSettings,
  evaluateConfigSchema,
  searchConfigSchema,
  selectionConfigSchema,
  trainConfigSchema,
  type JobInput,
} from '@lrnas/schema';
import { minimumParameters } from '@lrnas/engine';

export type PipelineJobInput = Extract<JobInput, { kind: 'pipeline' }>;

/** Sizes of a tiny pipeline; search steps per epoch are trainLimit / 2 / 12. */
export interface TinyPipelineSize {
  seed?: number;
  trainLimit?: number;
  searchEpochs?: number;
  trainEpochs?: number;
}

/**
 * A pipeline small enough to finish in seconds: C=4, 3 layers, a few MNIST images (half train the
 * supernet's weights, half its alphas), batches of 12, a budget just above the smallest network,
 * one FGSM evaluation of 12 images.
 */
export function tinyPipelineJob(runId: string, size: TinyPipelineSize = {}): PipelineJobInput {
  return {
    v: 1,
    kind: 'pipeline',
    runId,
    experimentId: 'exp-1',
    seed: size.seed ?? 3,
    dataset: { name: 'mnist', trainLimit: size.trainLimit ?? 48, testLimit: 12 },
    createdAt: new Date().toISOString(),
    search: {
      preset: 'tiny',
      channels: 4,
      layers: 3,
      epochs: size.searchEpochs ?? 2,
      warmupEpochs: 1,
      batchSize: 12,
      permutations: 1,
      estimateBatchSize: 6,
    },
    selection: {
      budget: minimumParameters({ channels: 4, layers: 3, classes: 10, inputChannels: 1 }) + 2500,
      channels: 4,
      layers: 3,
    },
    train: { method: 'madry', channels: 4, layers: 3, epochs: size.trainEpochs ?? 1, batchSize: 12 },
    evaluate: { threatModel: { norm: 'linf', epsilon: 0.3 }, attacks: [{ name: 'fgsm' }], examples: 12 },
  };
}

/**
 * The GraphQL StartPipelineInput that makes the gateway publish this job (under the team's `runId`);
 * its settings in the API's words (enum names).
 */
export function startPipelineInput(job: PipelineJobInput, experimentId: string): Record<string, unknown> {
  return {
    experimentId,
    runId: job.runId,
    seed: job.seed,
    trainLimit: job.dataset.trainLimit,
    testLimit: job.dataset.testLimit,
    search: apiSettings(searchConfigSchema, job.search),
    selection: apiSettings(selectionConfigSchema, job.selection),
    train: apiSettings(trainConfigSchema, job.train),
    evaluate: apiSettings(evaluateConfigSchema, job.evaluate),
  };
}
