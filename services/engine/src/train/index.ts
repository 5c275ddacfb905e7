/** Training of evaluation networks: SGD and schedules, objectives, the resumable trainer, checkpoints, export, evaluation. */
export { Sgd, clipGradNorm, gradientClip, type SgdOptions } from './optimizer.js';
export {
  cosineLr,
  stepLr,
  learningRate,
  defaultMilestones,
  dropPathProbability,
  validateSchedule,
  type LrSchedule,
} from './schedule.js';
export { crossEntropy, klDivergence, klDivergencePerExample, correctCount } from './losses.js';
export {
  TRAIN_METHODS,
  FGSM_RS_STEP,
  TRADES_START_STD,
  craftAdversarial,
  tradesAdversary,
  objectiveLoss,
  inferenceClassifier,
  gaussianNoise,
  type TrainMethod,
  type ObjectiveSettings,
  type ObjectiveOutput,
} from './objectives.js';
export {
  resolveTrainSettings,
  validateTrainSettings,
  defaultEpsilon,
  defaultAttackStepSize,
  trainingEpsilon,
  scheduleOf,
  type TrainSettings,
  type TrainExtras,
} from './settings.js';
export {
  fingerprintData,
  type TrainPosition,
  type EpochAccumulator,
  type EpochSummary,
  type DataFingerprint,
} from './state.js';
export {
  Trainer,
  TRAIN_STREAMS,
  type TrainerSetup,
  type RunOptions,
  type TrainResult,
  type TrainEvent,
  type StepEvent,
  type EpochEvent,
  type CheckpointEvent,
  type ProgressEvent,
} from './trainer.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  writeCheckpoint,
  readCheckpoint,
  checkpointTensors,
  checkNetworkSpec,
  type Checkpoint,
  type CheckpointManifest,
  type TrainCheckpointState,
  type CheckpointTensors,
  type CheckpointGroup,
  type CheckpointTensorEntry,
  type NetworkSpec,
  type RandomState,
  type StoredTensor,
} from './checkpoint.js';
export {
  MODEL_FORMAT,
  MODEL_JSON,
  WEIGHTS_BIN,
  exportModel,
  loadExportedModel,
  type ExportInfo,
  type LoadedModel,
  type ModelJson,
  type ModelMetadata,
} from './export.js';
export {
  evaluateModel,
  describeActiveBackend,
  parseAttackList,
  type EvaluateOptions,
  type EvaluateSettings,
  type EvaluationReport,
  type AttackResultSummary,
} from './evaluate.js';
export { ModelFileError, writeFileAtomic } from './files.js';
