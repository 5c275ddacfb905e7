/**
 * @lrnas/engine: LRNAS on TensorFlow.js. The public API, stated name by name: what the worker, the
 * benchmark, the tests of other workspaces and a researcher's script use. Everything else is inside
 * the engine (the `lrnas` CLI imports its modules directly); add a name here when a caller needs it.
 */

// Backends and the engine's version.
export { backendLabel, initBackend, type BackendInfo, type GpuAdapter } from './backend.js';
export { ENGINE_VERSION } from './version.js';
export { Rng } from './random.js';

// Jobs: plan, stages, files, pipeline and run-job (what `lrnas search|train|pipeline` and the worker run).
export { runJob, type RunJobOptions, type RunJobStatus } from './jobs/run-job.js';
export {
  forwardEngineEvent,
  forwardStudyEvent,
  flopsOf,
  studyRowEvent,
  type EventSink,
  type ForwardingContext,
  type StudyForwardingContext,
} from './jobs/contract-events.js';
export { runJobOffThread } from './jobs/job-thread.js';
export { planJob, loadJobData, type JobPlan, type JobData } from './jobs/plan.js';
export {
  runPipeline,
  type PipelineSettings,
  type PipelineSetup,
  type PipelineOptions,
  type PipelineResult,
  type PipelineReport,
} from './jobs/pipeline.js';
export {
  openSearch,
  runSearchStage,
  runSelectStage,
  openTraining,
  runTrainStage,
  runEvaluateStage,
  type JobEvent,
  type JobNetwork,
  type StageIo,
} from './jobs/stages.js';
export { JOB_FILES, LEGACY_JOB_FILES, jobFiles, writeJson, type JobFile } from './jobs/files.js';
export { differingKeys } from './settings-diff.js';

// Data sets.
export { loadDataset, type LoadDatasetOptions } from './data/load.js';
export type { Dataset } from './data/dataset.js';

// Networks and their cost.
export { EvalNetwork } from './nn/network.js';
export { countParameters, countFlops } from './nn/cost.js';

// Search and selection.
export { SearchRun, type SearchEvent, type SearchResult } from './search/search-run.js';
export type { SearchEpochSummary } from './search/search-checkpoint.js';
export {
  resolveSearchSettings,
  resolveSelectionSettings,
  resolvePipelineTraining,
  type SearchSettings,
  type SelectionSettings,
} from './search/settings.js';
export { selectGreedy, parseDarts, minimumParameters } from './search/selection.js';
export { Supernet } from './search/supernet.js';
export { mixingWeights } from './search/mixing.js';
export { initialMomentum } from './search/alpha-update.js';
export { estimateContributions } from './search/contribution.js';
export { SupernetScorer, emptyScoringStats, scoringContext } from './search/scorer.js';
export { fgsmInParts } from './search/fgsm-parts.js';

// Training, export and evaluation.
export { Trainer, type TrainEvent, type TrainResult } from './train/trainer.js';
export type { EpochSummary } from './train/state.js';
export { resolveTrainSettings, defaultAttackStepSize, type TrainSettings } from './train/settings.js';
export { Sgd, clipGradNorm, gradientClip } from './optim/optimizer.js';
export { crossEntropy } from './nn/losses.js';
export { exportModel, loadExportedModel, MODEL_JSON } from './files/model-export.js';
export { evaluateModel, type EvaluateSettings, type EvaluationReport } from './evaluate/evaluate-model.js';

// Attacks.
export { runAttack, resolveAttackSettings } from './attacks/suite.js';
export { ensureGradients, lossAndGradient } from './attacks/gradient.js';
export { crossEntropyLoss } from './attacks/losses.js';

// Engine threads, and how long the thread beside them is held.
export { EnginePool, resolveThreadCount } from './parallel/pool.js';
export { EventLoopHoldMonitor, type EventLoopHold } from './parallel/event-loop-hold.js';
