/** What withinDeadline gives when the promise did not settle in time. */
export const TIMED_OUT = Symbol('timed out');

/**
 * The promise's value, or TIMED_OUT when it has not settled within `ms` (the promise itself goes
 * on: callers that must, clean up after it). For NATS client calls that can wait for ever when a
 * node goes away.
 */
export async function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
