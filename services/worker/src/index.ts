/** @lrnas/worker: the JetStream job runner around the engine. */
export { parseWorkerConfig, WORKER_USAGE, type WorkerConfig } from './config.js';
export { presenceRecord } from './presence.js';
export { startWorker, type WorkerHandle, type WorkerTuning } from './worker.js';
export { startJobRunner, type JobRunner, type JobRunnerOptions } from './job-runner.js';
