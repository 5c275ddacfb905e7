/**
 * Training of evaluation networks: objectives, settings, the resumable trainer. Its tools live beside it:
 * the optimiser and learning-rate schedules in optim/, losses in nn/, checkpoints and model files in files/,
 * evaluation under the attack suite in evaluate/.
 */
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
