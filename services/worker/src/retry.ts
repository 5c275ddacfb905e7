/** Waits between the tries of `retrying`: 0.25 s doubling, about 16 s in all. */
const DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

/**
 * Runs `action` until it succeeds, trying again after each failure with growing pauses, and
 * rethrows the last error once the pauses are used up. For JetStream writes that are safe to
 * repeat (a publish with a message id, an object put by name): when a NATS node goes away, the
 * client reconnects to another and a cluster elects new stream leaders within seconds, and the
 * write that timed out meanwhile goes through on a later try.
 */
export async function retrying<T>(action: () => Promise<T>, delays: readonly number[] = DELAYS_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const pause = delays[attempt];
      if (pause === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
