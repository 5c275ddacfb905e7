import { parentPort, workerData } from 'node:worker_threads';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import { startThread } from './start-thread.js';

/** Messages from a task thread: its events in order, then its result or its error. */
export type TaskThreadMessage<E, R> =
  | { type: 'event'; event: E }
  | { type: 'done'; result: R }
  | { type: 'failed'; error: { name: string; message: string; code?: string; stack?: string } };

/** The one message to a task thread: stop between batches, leaving a checkpoint. */
export interface TaskThreadStop {
  type: 'stop';
}

/**
 * Runs the task that `entry` serves (with serveTaskThread) on a thread of its own, started with `init`
 * (plain data: it is copied). Its events come to `onEvent` in order; `signal` asks it to stop between
 * batches. Resolves with its result. An LrnasError thrown in the thread is thrown here with its code (its
 * class is not kept across the thread boundary); any other error as an Error with its message. A failing
 * `onEvent` stops the wait with its error: the task cannot report, so it ends.
 */
export function runOnTaskThread<E, R>(
  entry: URL,
  init: unknown,
  options: { onEvent?: (event: E) => void; signal?: AbortSignal } = {},
): Promise<R> {
  const { onEvent, signal } = options;
  const thread = startThread(entry, init);
  const stop = () => thread.postMessage({ type: 'stop' } satisfies TaskThreadStop);
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop);
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      outcome();
      void thread.terminate();
    };
    thread.on('message', (message: TaskThreadMessage<E, R>) => {
      if (message.type === 'event') {
        try {
          onEvent?.(message.event);
        } catch (error) {
          settle(() => reject(error));
        }
      } else if (message.type === 'done') settle(() => resolve(message.result));
      else settle(() => reject(errorFrom(message.error)));
    });
    thread.on('error', (error) => settle(() => reject(error)));
    thread.on('exit', (code) =>
      settle(() => reject(new Error(`the task thread exited (code ${code}) before its task ended`))),
    );
  });
}

/**
 * The thread side of runOnTaskThread: runs `task` with the thread's init, a signal that the caller's stop
 * aborts and an `emit` for its events, then sends its result or its error. The thread stays until the
 * caller ends it, so its last message is surely read first.
 */
export async function serveTaskThread<I, E, R>(
  task: (init: I, io: { signal: AbortSignal; emit: (event: E) => void }) => Promise<R>,
): Promise<void> {
  if (!parentPort) throw new Error('serveTaskThread runs only in a worker thread');
  const port = parentPort;
  const stop = new AbortController();
  port.on('message', (message: TaskThreadStop) => {
    if (message.type === 'stop') stop.abort();
  });
  const send = (message: TaskThreadMessage<E, R>) => port.postMessage(message);
  try {
    const result = await task(workerData as I, {
      signal: stop.signal,
      emit: (event) => send({ type: 'event', event }),
    });
    send({ type: 'done', result });
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
