import type { DatasetName, StudyArm } from '@lrnas/schema';

/**
 * A study row's name, also its folder under the study's: `mnist/seed-0/lrnas`, a random genotype's with its index
 * (`mnist/seed-0/random-1`). The platform keys a row's run by it, so it must not change for a row.
 */
export function studyRowKey(row: { dataset: DatasetName; seed: number; arm: StudyArm; index: number }): string {
  return `${row.dataset}/seed-${row.seed}/${row.arm}${row.arm === 'random' ? `-${row.index}` : ''}`;
}
