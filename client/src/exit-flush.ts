/**
 * What is logged and not yet sent goes to the hub before the program ends: when its event loop
 * empties (`beforeExit`; retries wait on timers that do not hold the program, so this is also what
 * ends a program whose hub is away) for up to FLUSH_AT_EXIT_MS, and on SIGINT and SIGTERM for up to
 * FLUSH_ON_SIGNAL_MS, after which the signal takes its usual course. Whatever is still unsent then
 * stays in the spool for the next start or `lrnas sync`, and stderr says so.
 */

/** What of a run the exit handling needs. */
interface Flushable {
  readonly runId: string;
  readonly pending: number;
  readonly spoolDir: string;
  flush(timeoutMs?: number): Promise<boolean>;
}

const FLUSH_AT_EXIT_MS = 60_000;
const FLUSH_ON_SIGNAL_MS = 10_000;
const live = new Set<Flushable>();
let flushedAtExit = false;

async function flushAll(timeoutMs: number): Promise<void> {
  const runs = [...live];
  const done = await Promise.all(runs.map((run) => run.flush(timeoutMs)));
  runs.forEach((run, i) => {
    if (!done[i]) {
      process.stderr.write(
        `@lrnas/client: ${run.pending} entries of run ${run.runId} did not reach the hub; they stay in ${run.spoolDir} (lrnas sync sends them)\n`,
      );
    }
  });
}

function onBeforeExit(): void {
  // Once: a second beforeExit comes after that flush, and then the program ends.
  if (flushedAtExit) return;
  flushedAtExit = true;
  void flushAll(FLUSH_AT_EXIT_MS);
}

function onSignal(signal: NodeJS.Signals): void {
  void flushAll(FLUSH_ON_SIGNAL_MS).finally(() => {
    stopListening();
    // Only this module wanted the signal: give it its usual effect (the exit code of a signal death).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

function stopListening(): void {
  process.off('beforeExit', onBeforeExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Keeps `run` flushed at exit until the returned function says it has ended. */
export function whileRunsLive(run: Flushable): () => void {
  if (live.size === 0) {
    process.on('beforeExit', onBeforeExit);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(run);
  return () => {
    live.delete(run);
    if (live.size === 0) stopListening();
  };
}
