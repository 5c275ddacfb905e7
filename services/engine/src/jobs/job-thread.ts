import type { Job } from '@lrnas/schema';
import { besideModule } from '../parallel/start-thread.js';
import { runOnTaskThread } from '../parallel/task-thread.js';
import type { RunJobOptions, RunJobStatus } from './run-job.js';
import type { JobEvent } from './stages.js';

/** What the job thread is started with (workerData): plain data only. */
export interface JobThreadInit {
  job: Job;
  options: Omit<RunJobOptions, 'onEvent' | 'signal'>;
  /** The backend the caller runs on, for the thread's own TF.js instance. */
  backend?: string;
}

/**
 * Runs `runJob` on a thread of its own, so that the caller's thread stays free for what must not
 * wait on a training step (the worker's NATS heartbeats, events, presence and cancellation). The job's
 * threads run at a lower priority than the caller's (parallel/thread-priority.ts), so that this holds
 * with every core computing. Events come back in order; the signal stops the job between batches as in
 * `runJob`. Errors come back as runOnTaskThread says (an LrnasError keeps its code).
 */
export function runJobOffThread(job: Job, options: RunJobOptions & { backend?: string }): Promise<RunJobStatus> {
  const { onEvent, signal, backend, ...plain } = options;
  const init: JobThreadInit = { job, options: plain, ...(backend !== undefined && { backend }) };
  return runOnTaskThread<JobEvent, RunJobStatus>(besideModule('./job-thread-entry.ts', import.meta.url), init, {
    ...(onEvent && { onEvent }),
    ...(signal && { signal }),
  });
}
