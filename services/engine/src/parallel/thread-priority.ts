import fs from 'node:fs';
import os from 'node:os';

/**
 * The niceness engine threads take when they run beside a thread that must answer at once. Linux
 * weighs a thread of niceness 5 at a third of one of 0, so the thread that answers runs first while
 * the engine keeps a fair part of a shared machine: at 10 (a tenth) six busy processes beside a worker
 * left its job about 3 % of two cores, and a job of 8 s of computing took over two minutes.
 */
export const BACKGROUND_NICENESS = 5;

/**
 * Lowers the scheduling priority of the calling thread only (not its process), so that the threads
 * that talk to NATS or a terminal are scheduled first whenever they have something to do, even with
 * every core busy computing. Threads this one starts afterwards inherit it. Linux gives each thread
 * its own niceness, addressed by the thread id that /proc/thread-self names; elsewhere nothing is
 * changed. Returns whether it was lowered.
 */
export function lowerThisThreadPriority(niceness = BACKGROUND_NICENESS): boolean {
  let tid: number;
  try {
    tid = Number(fs.readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return false;
  }
  if (!Number.isInteger(tid) || tid <= 0) return false;
  try {
    // Raising a niceness never needs privileges; lowering one below the current does, so keep the higher.
    os.setPriority(tid, Math.max(niceness, os.getPriority(tid)));
    return true;
  } catch {
    return false;
  }
}
