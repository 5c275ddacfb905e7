import { ErrorCode, LrnasError, type Job } from '@lrnas/schema';
import { besideModule, startThread } from '../parallel/start-thread.js';
import type { RunJobOptions, RunJobStatus } from './run-job.js';
import type { JobEvent } from './stages.js';

/** What the job thread is started with (workerData): plain data only. */
export interface JobThreadInit {
  job: Job;
  options: Omit<RunJobOptions, 'onEvent' | 'signal'>;
  /** The backend the caller runs on, for the thread's own TF.js instance. */
  backend?: string;
}

/** Messages from the job thread. */
export type JobThreadMessage =
  | { type: 'event'; event: JobEvent }
  | { type: 'done'; status: RunJobStatus }
  | { type: 'failed'; error: { name: string; message: string; code?: string; stack?: string } };

/** The one message to the job thread: stop between batches, leaving a checkpoint. */
export interface JobThreadStop {
  type: 'stop';
}

/**
 * Runs `runJob` on a thread of its own, so that the caller's thread stays free for what must not
 * wait on a training step (the worker's NATS heartbeats, events, presence and cancellation). The job's
 * threads run at a lower priority than the caller's (parallel/thread-priority.ts), so that this holds
 * with every core computing. Events
 * come back in order; the signal stops the job between batches as in `runJob`.
 * An LrnasError thrown in the thread is thrown here with its code (its class is not kept across the
 * thread boundary); any other error as an Error with its message.
 */
export function runJobOffThread(job: Job, options: RunJobOptions & { backend?: string }): Promise<RunJobStatus> {
  const { onEvent, signal, backend, ...plain } = options;
  const init: JobThreadInit = { job, options: plain, ...(backend !== undefined && { backend }) };
  const thread = startThread(besideModule('./job-thread-entry.ts', import.meta.url), init);
  const stop = () => thread.postMessage({ type: 'stop' } satisfies JobThreadStop);
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop);
  return new Promise<RunJobStatus>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      outcome();
      void thread.terminate();
    };
    thread.on('message', (message: JobThreadMessage) => {
      if (message.type === 'event') {
        try {
          onEvent?.(message.event);
        } catch (error) {
          // The caller's handler failed: the job cannot report, so it stops as runJob's would.
          settle(() => reject(error));
        }
      } else if (message.type === 'done') settle(() => resolve(message.status));
      else settle(() => reject(errorFrom(message.error)));
    });
    thread.on('error', (error) => settle(() => reject(error)));
    thread.on('exit', (code) =>
      settle(() => reject(new Error(`the job thread exited (code ${code}) before the job ended`))),
    );
  });
}

function errorFrom(error: { name: string; message: string; code?: string; stack?: string }): Error {
  const codes = Object.values(ErrorCode) as string[];
  const made =
    error.code !== undefined && codes.includes(error.code)
      ? new LrnasError(error.code as ErrorCode, error.message)
      : new Error(error.message);
  made.name = error.name;
  if (error.stack) made.stack = error.stack;
  return made;
}
