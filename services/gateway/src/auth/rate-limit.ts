/**
 * Token buckets per caller (an API key, or the address of an anonymous caller): `perMinute`
 * requests a minute on average with bursts up to `burst`, in this replica's memory. The shared
 * limit (shared-limits.ts, in NATS KV) falls back to it while NATS is unreachable: then each
 * replica limits on its own, which is still a guard against runaway clients.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perMinute: number,
    readonly burst: number = perMinute,
  ) {}

  /** Takes a token for `caller`; returns 0 when allowed, else milliseconds until the next token. */
  take(caller: string, now = Date.now()): number {
    const rate = this.perMinute / 60_000;
    const bucket = this.#buckets.get(caller) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.#buckets.set(caller, bucket);
    if (this.#buckets.size > 100_000) this.#forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate);
  }

  /** Drops buckets that have refilled: they hold no state worth keeping. */
  #forgetFull(now: number): void {
    const rate = this.perMinute / 60_000;
    for (const [caller, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * rate >= this.burst) this.#buckets.delete(caller);
    }
  }
}
