import { ContractError } from '@lrnas/schema';
import type { Dataset } from '../data/dataset.js';

/** Where a run stands: the next batch to train is `batch` of `epoch`; `step` steps are done in all. */
export interface TrainPosition {
  epoch: number;
  batch: number;
  step: number;
}

/** Running sums of the epoch in progress (so that a resumed epoch reports what a whole one would). */
export interface EpochAccumulator {
  /** Sum over steps of the step's mean loss times its batch size (NaN once a loss was not finite). */
  lossSum: number;
  correct: number;
  examples: number;
  steps: number;
  /** Training seconds spent on this epoch so far (before an interruption too). */
  seconds: number;
}

/** What one epoch did. Accuracies are fractions in [0, 1]; null where not measured or not finite. */
export interface EpochSummary {
  epoch: number;
  epochs: number;
  lr: number;
  dropPathProb: number;
  trainLoss: number | null;
  /** On the inputs the objective trains on (adversarial for madry and fgsm-rs, clean otherwise). */
  trainAccuracy: number;
  testAccuracy: number | null;
  testExamples: number;
  /** Under the monitoring PGD, on the first `testPgdExamples` test images. */
  testPgdAccuracy: number | null;
  testPgdExamples: number;
  steps: number;
  examples: number;
  seconds: number;
}

/** Identifies the data a run trains on, so that a resume on other data is refused. */
export interface DataFingerprint {
  name: string;
  trainSize: number;
  testSize: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** FNV-1a over the training labels in stored order (cheap, and catches another subset or order). */
  trainLabelsHash: string;
}

/** The fingerprint of a train/test pair. */
export function fingerprintData(train: Dataset, test: Dataset | undefined): DataFingerprint {
  let h = 0x811c9dc5;
  for (const label of train.labels) {
    h ^= label & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return {
    name: train.name,
    trainSize: train.size,
    testSize: test?.size ?? 0,
    height: train.height,
    width: train.width,
    channels: train.channels,
    classes: train.classes,
    trainLabelsHash: h.toString(16).padStart(8, '0'),
  };
}

/** An empty accumulator. */
export function emptyAccumulator(): EpochAccumulator {
  return { lossSum: 0, correct: 0, examples: 0, steps: 0, seconds: 0 };
}

/** Refuses a checkpoint made on other data than `found`, naming the first field that differs. */
export function checkSameData(stored: DataFingerprint, found: DataFingerprint, file: string): void {
  for (const key of Object.keys(stored) as Array<keyof DataFingerprint>) {
    if (found[key] !== stored[key]) {
      throw new ContractError(
        'data',
        `the checkpoint ${file} was made on other data: its ${key} is ${JSON.stringify(stored[key])}, here ${JSON.stringify(found[key])}`,
      );
    }
  }
}
