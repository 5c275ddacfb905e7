import { besideModule, startThread } from '../parallel/start-thread.js';
import { processIo } from './cli.js';
import type { CliIo } from './command.js';

/** What the CLI's thread is started with. */
export interface CliThreadInit {
  argv: string[];
  terminal: { isTTY: boolean; columns?: number | undefined };
}

/** Messages from the CLI's thread, in the order it sent them. */
export type CliThreadMessage =
  | { type: 'stdout' | 'stderr'; text: string }
  /** The command listens for Ctrl-C (a stage that can stop with a checkpoint runs), or no longer. */
  | { type: 'interruptible'; on: boolean }
  | { type: 'exit'; code: number };

/** The one message to the CLI's thread: Ctrl-C was pressed. */
export interface CliThreadInterrupt {
  type: 'interrupt';
}

/**
 * Runs the CLI on a thread of its own (cli-thread-entry.ts) and returns its exit code. This thread
 * only writes what the command writes and hears Ctrl-C, so that a Ctrl-C is answered at once even in
 * the middle of a long training step (which stops at the end of its batch, as before).
 */
export function runCliOffThread(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const init: CliThreadInit = { argv: [...argv], terminal: io.terminal ?? { isTTY: false } };
  const thread = startThread(besideModule('./cli-thread-entry.ts', import.meta.url), init);
  let stopListening: (() => void) | undefined;
  const listen = (on: boolean) => {
    stopListening?.();
    stopListening = on
      ? io.onInterrupt?.(() => {
          stopListening = undefined;
          thread.postMessage({ type: 'interrupt' } satisfies CliThreadInterrupt);
        })
      : undefined;
  };
  return new Promise<number>((resolve) => {
    let code: number | undefined;
    thread.on('message', (message: CliThreadMessage) => {
      switch (message.type) {
        case 'stdout':
          return io.stdout(message.text);
        case 'stderr':
          return io.stderr(message.text);
        case 'interruptible':
          return listen(message.on);
        case 'exit':
          code = message.code;
          void thread.terminate();
      }
    });
    thread.on('error', (error) => {
      io.stderr(`lrnas: ${error.stack ?? error.message}\n`);
      code ??= 1;
    });
    thread.on('exit', () => {
      listen(false);
      resolve(code ?? 1);
    });
  });
}
