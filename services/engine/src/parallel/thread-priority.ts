import fs from 'node:fs';
import os from 'node:os';

/** The niceness engine threads take when they run beside a thread that must answer at once. */
export const BACKGROUND_NICENESS = 10;

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
