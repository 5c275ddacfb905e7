// When to restart a crashed process, and when to stop trying: exponential backoff, reset once the
// process has run long enough to count as healthy, and a limit on crashes within a window.

/** Backoff and give-up rule for one supervised process. Times in milliseconds. */
export class RestartPolicy {
  #crashes = [];

  constructor({
    baseDelayMs = 1000,
    maxDelayMs = 30_000,
    maxCrashes = 5,
    windowMs = 120_000,
    healthyAfterMs = 60_000,
  } = {}) {
    Object.assign(this, { baseDelayMs, maxDelayMs, maxCrashes, windowMs, healthyAfterMs });
  }

  /**
   * Records a crash at `now` of a process that had been running for `uptimeMs`, and says what to do:
   * `{ restart: true, delayMs, crashes }`, or `{ restart: false, crashes }` once `maxCrashes` crashes
   * fell within `windowMs`.
   */
  crashed(now, uptimeMs) {
    // A process that ran a healthy while before crashing starts its backoff afresh.
    if (uptimeMs >= this.healthyAfterMs) this.#crashes = [];
    this.#crashes = [...this.#crashes.filter((t) => now - t < this.windowMs), now];
    const crashes = this.#crashes.length;
    if (crashes >= this.maxCrashes) return { restart: false, crashes };
    return { restart: true, delayMs: Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (crashes - 1)), crashes };
  }
}
