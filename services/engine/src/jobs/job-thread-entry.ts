// The job thread of job-thread.ts: initialises its own backend and runs the job.
import { initBackend } from '../backend.js';
import { serveTaskThread } from '../parallel/task-thread.js';
import { lowerThisThreadPriority } from '../parallel/thread-priority.js';
import type { JobThreadInit } from './job-thread.js';
import { runJob, type RunJobStatus } from './run-job.js';
import type { JobEvent } from './stages.js';

// Below the caller's thread, which must answer at once (and so are the engine threads this one starts).
lowerThisThreadPriority();
await serveTaskThread<JobThreadInit, JobEvent, RunJobStatus>(async (init, { signal, emit }) => {
  await initBackend(init.backend);
  return runJob(init.job, { ...init.options, signal, onEvent: emit });
});
