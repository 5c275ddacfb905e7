/** The study of issue 15: LRNAS against ablations and baselines at one budget, over seeds. */
export { PUBLISHED_GENOTYPES, randomGenotypeWithin, resnetGenotype, scaleToBudget } from './baselines.js';
export {
  planRows,
  runStudy,
  type StudyOptions,
  type StudyProgress,
  type StudyRow,
  type StudyRowRecord,
} from './run-study.js';
export { studyRowKey } from './row-key.js';
export {
  resolveStudySettings,
  SMALL_STUDY,
  STUDY_ATTACKS,
  type StudyDatasetSettings,
  type StudySettings,
} from './settings.js';
export { formatStudyTable, meanSpread, studyTable, type MeanSpread, type StudyTableLine } from './table.js';
