// The CLI's thread of cli-thread.ts: runs the command with an io that sends what it writes, and
// its Ctrl-C listening, to the thread that started it, and ends with the exit code.
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadPriority } from '../parallel/thread-priority.js';
import { runCli } from './cli.js';
import type { CliThreadInit, CliThreadInterrupt, CliThreadMessage } from './cli-thread.js';
import type { CliIo } from './command.js';

if (!parentPort) throw new Error('cli/cli-thread-entry.ts runs only as a worker thread');
const port = parentPort;
const init = workerData as CliThreadInit;
const send = (message: CliThreadMessage) => port.postMessage(message);

const listeners = new Set<() => void>();
port.on('message', (message: CliThreadInterrupt) => {
  if (message.type !== 'interrupt') return;
  const heard = [...listeners];
  listeners.clear();
  send({ type: 'interruptible', on: false });
  for (const listener of heard) listener();
});
// The thread must not keep itself alive by listening: it ends when the command does.
port.unref();

const io: CliIo = {
  stdout: (text) => send({ type: 'stdout', text }),
  stderr: (text) => send({ type: 'stderr', text }),
  terminal: init.terminal,
  onInterrupt(listener) {
    listeners.add(listener);
    if (listeners.size === 1) send({ type: 'interruptible', on: true });
    return () => {
      if (listeners.delete(listener) && listeners.size === 0) send({ type: 'interruptible', on: false });
    };
  },
};

// Below the thread that writes and hears Ctrl-C, as are the engine threads this one starts.
lowerThisThreadPriority();
send({ type: 'exit', code: await runCli(init.argv, io) });
