// The job thread of job-thread.ts: initialises its own backend, runs the job, and sends its events,
// its end or its error to the thread that started it.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend.js';
import { lowerThisThreadPriority } from '../parallel/thread-priority.js';
import type { JobThreadInit, JobThreadMessage, JobThreadStop } from './job-thread.js';
import { runJob } from './run-job.js';

if (!parentPort) throw new Error('jobs/job-thread-entry.ts runs only as a worker thread');
const port = parentPort;
const init = workerData as JobThreadInit;
const stop = new AbortController();
port.on('message', (message: JobThreadStop) => {
  if (message.type === 'stop') stop.abort();
});
const send = (message: JobThreadMessage) => port.postMessage(message);

// Below the caller's thread, which must answer at once (and so are the engine threads this one starts).
lowerThisThreadPriority();
try {
  await initBackend(init.backend);
  const status = await runJob(init.job, {
    ...init.options,
    signal: stop.signal,
    onEvent: (event) => send({ type: 'event', event }),
  });
  send({ type: 'done', status });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  send({
    type: 'failed',
    error: {
      name: e.name,
      message: e.message,
      ...(typeof code === 'string' && { code }),
      ...(e.stack && { stack: e.stack }),
    },
  });
}
// The thread stays until the caller ends it, so its last message is surely read first.
