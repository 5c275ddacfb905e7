import { createHash, randomUUID } from 'node:crypto';
import type { KV, KvEntry } from 'nats';
import {
  decodeTally,
  liveTally,
  openSubscriptions,
  RATE_WINDOW_MS,
  rateDecision,
  rateWindow,
} from '../domain/quota.js';
import { TIMED_OUT, withinDeadline } from '../deadline.js';
import type { NatsLink } from '../nats-link.js';
import { RateLimiter } from './rate-limit.js';

/** KV bucket of request counts per caller and minute (the gateway's own: workers never read it). */
export const RATES_BUCKET = 'lrnas-gateway-rates';
/** KV bucket of open subscriptions per caller, one entry per replica inside each caller's record. */
export const SUBSCRIPTIONS_BUCKET = 'lrnas-gateway-subscriptions';
/** A replica that has not confirmed its subscriptions for this long is taken for dead. */
export const SUBSCRIPTION_TTL_MS = 60_000;
/**
 * How long a request waits for its count in NATS before this replica's memory decides instead: a
 * KV write waits out a stream leader election when a node goes away, and every request would too.
 */
const SHARED_COUNT_WAIT_MS = 3000;
/** Attempts at a revision-checked update before giving up on a contended record. */
const MAX_ATTEMPTS = 25;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A caller's KV key: keys allow few characters and callers hold addresses (IPv6 colons), so a digest. */
export function callerKey(caller: string): string {
  return createHash('sha256').update(caller).digest('hex').slice(0, 32);
}

/** A revision-checked write lost to another writer (JetStream's "wrong last sequence"). */
function isConflict(error: unknown): boolean {
  const e = error as { api_error?: { err_code?: number }; message?: string };
  return e.api_error?.err_code === 10071 || /wrong last sequence/i.test(e.message ?? '');
}

/** Writes `value` over `entry` (or creates the key), unless another writer got there first. */
async function writeOver(kv: KV, key: string, entry: KvEntry | null, value: Uint8Array): Promise<boolean> {
  try {
    if (entry) await kv.update(key, value, entry.revision);
    else await kv.create(key, value);
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

/** Runs one task per key at a time on this replica, so a replica does not race itself. */
class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves once every task queued so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}

/** Opens the gateway's limit buckets on the current NATS connection, once per connection. */
export class LimitBuckets {
  #opened?: { connection: object; buckets: Promise<{ rates: KV; subscriptions: KV }> };

  constructor(
    private readonly nats: NatsLink,
    private readonly replicas = 1,
  ) {}

  /** The buckets, or undefined while NATS is not connected. */
  async get(): Promise<{ rates: KV; subscriptions: KV } | undefined> {
    const connection = this.nats.connection;
    if (!connection || !this.nats.state().connected) return undefined;
    if (this.#opened?.connection !== connection) {
      const js = connection.jetstream();
      const buckets = (async () => ({
        // A window's count is read during the next window, so it lives for three.
        rates: await js.views.kv(RATES_BUCKET, { ttl: 3 * RATE_WINDOW_MS, history: 1, replicas: this.replicas }),
        // Live records are rewritten every SUBSCRIPTION_TTL_MS / 3; this only clears abandoned ones.
        subscriptions: await js.views.kv(SUBSCRIPTIONS_BUCKET, {
          ttl: 10 * SUBSCRIPTION_TTL_MS,
          history: 1,
          replicas: this.replicas,
        }),
      }))();
      this.#opened = { connection, buckets };
      buckets.catch(() => {
        if (this.#opened?.buckets === buckets) this.#opened = undefined;
      });
    }
    return this.#opened.buckets;
  }
}

/**
 * Requests per minute per caller, counted across every gateway replica in NATS KV: one record per
 * caller and minute, incremented with revision-checked updates (a lost race re-reads and retries),
 * and the previous minute weighed in as a sliding window. While NATS is unreachable each replica
 * falls back to limiting in its own memory (the API still serves reads then), and says so once.
 */
export class SharedRateLimiter {
  readonly #fallback: RateLimiter;
  readonly #queue = new KeyedQueue();
  /** Last known count and revision of this window's records, to skip a read when nobody else wrote. */
  #known = new Map<string, { count: number; revision: number | undefined }>();
  /** The previous window's final count per caller. */
  #previous = new Map<string, number>();
  #knownWindow = -1;
  /** Callers refused until then: a runaway client is turned away without a round trip to NATS. */
  readonly #refusedUntil = new Map<string, number>();
  #fellBack = false;
  /** Until then this replica counts in memory (NATS was too slow to count a request). */
  #memoryUntil = 0;

  constructor(
    readonly perMinute: number,
    private readonly buckets: LimitBuckets,
    private readonly log: (line: string) => void,
  ) {
    this.#fallback = new RateLimiter(perMinute);
  }

  /** Takes one request for `caller`: 0 when allowed, else milliseconds until one would be. */
  async take(caller: string, now = Date.now()): Promise<number> {
    const until = this.#refusedUntil.get(caller);
    if (until !== undefined && until > now) return until - now;
    this.#refusedUntil.delete(caller);
    try {
      if (now < this.#memoryUntil) return this.#fallBack(caller, now, 'NATS was slow');
      const buckets = await this.buckets.get();
      if (!buckets) return this.#fallBack(caller, now, 'NATS is not connected');
      const wait = await withinDeadline(
        this.#queue.run(caller, () => this.#takeShared(buckets.rates, caller, now)),
        SHARED_COUNT_WAIT_MS,
      );
      if (wait === TIMED_OUT) {
        // Requests for the next while do not each wait out the same slow NATS.
        this.#memoryUntil = now + 5 * SHARED_COUNT_WAIT_MS;
        return this.#fallBack(caller, now, `NATS took over ${SHARED_COUNT_WAIT_MS} ms to count`);
      }
      this.#fellBack = false;
      if (wait > 0) {
        this.#refusedUntil.set(caller, now + wait);
        if (this.#refusedUntil.size > 100_000) this.#refusedUntil.clear();
      }
      return wait;
    } catch (error) {
      return this.#fallBack(caller, now, (error as Error).message);
    }
  }

  #fallBack(caller: string, now: number, why: string): number {
    if (!this.#fellBack) this.log(`rate limit kept in this replica's memory for now (${why})`);
    this.#fellBack = true;
    return this.#fallback.take(caller, now);
  }

  async #takeShared(kv: KV, caller: string, now: number): Promise<number> {
    const { index, elapsed } = rateWindow(now);
    if (index !== this.#knownWindow) {
      this.#known = new Map();
      this.#previous = new Map();
      this.#knownWindow = index;
    }
    const id = callerKey(caller);
    // The previous minute is over: read once per caller and minute.
    let previous = this.#previous.get(caller);
    if (previous === undefined) {
      previous = count(await kv.get(`${id}.${index - 1}`));
      this.#previous.set(caller, previous);
    }
    const key = `${id}.${index}`;
    let known = this.#known.get(key) ?? versioned(await kv.get(key));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const decision = rateDecision(this.perMinute, previous, known.count, elapsed);
      if (!decision.allowed) return decision.retryAfterMs;
      const value = encoder.encode(String(known.count + 1));
      try {
        const revision =
          known.revision === undefined ? await kv.create(key, value) : await kv.update(key, value, known.revision);
        this.#known.set(key, { count: known.count + 1, revision });
        return 0;
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Another replica counted in between: read its count and try again.
        known = versioned(await kv.get(key));
      }
    }
    throw new Error(`the rate record of a caller stayed contended over ${MAX_ATTEMPTS} attempts`);
  }
}

/** A count and the revision to update it over (none: the key was never written). */
function versioned(entry: KvEntry | null): { count: number; revision: number | undefined } {
  return { count: count(entry), revision: entry?.revision };
}

function count(entry: KvEntry | null | undefined): number {
  if (!entry || entry.operation !== 'PUT') return 0;
  const value = Number(decoder.decode(entry.value));
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * Open subscriptions per caller across the replicas, in NATS KV: one record per caller holding
 * each replica's count and when that replica last confirmed it. A replica confirms its counts every
 * third of SUBSCRIPTION_TTL_MS; the counts of one that stopped (crashed, cut off from NATS) stop
 * counting after SUBSCRIPTION_TTL_MS, so they never block a caller for good. Opening one is a
 * revision-checked update that first checks the total; closing one writes the lower count.
 */
export class SubscriptionQuota {
  /** This replica's id in the records. */
  readonly replica = randomUUID();
  /** Subscriptions open on this replica per caller (what it writes; kept at 0 until written). */
  readonly #mine = new Map<string, number>();
  readonly #queue = new KeyedQueue();
  #timer?: NodeJS.Timeout;
  /** Whether the last acquire could not reach NATS (logged once per outage). */
  #fellBack = false;

  constructor(
    readonly max: number,
    private readonly buckets: LimitBuckets,
    private readonly log: (line: string) => void,
  ) {}

  /** Confirms this replica's counts periodically. */
  start(): void {
    this.#timer = setInterval(() => void this.#confirmAll(), SUBSCRIPTION_TTL_MS / 3);
    this.#timer.unref();
  }

  /** Stops confirming, once the writes of subscriptions closed so far are done. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#queue.idle();
  }

  /** Counts one more subscription of `caller`; false (nothing counted) when it holds `max`. */
  acquire(caller: string): Promise<boolean> {
    return this.#queue.run(caller, async () => {
      const mine = this.#mine.get(caller) ?? 0;
      const written = await this.#write(caller, mine + 1, true).then(
        (ok) => {
          this.#fellBack = false;
          return ok;
        },
        (error: unknown) => {
          // Without NATS, only this replica's own count can be checked.
          if (!this.#fellBack) {
            this.log(`subscription count kept in this replica's memory for now (${(error as Error).message})`);
          }
          this.#fellBack = true;
          return mine + 1 <= this.max;
        },
      );
      if (written) this.#mine.set(caller, mine + 1);
      return written;
    });
  }

  /** Counts one subscription of `caller` less. */
  release(caller: string): Promise<void> {
    return this.#queue.run(caller, async () => {
      const mine = Math.max(0, (this.#mine.get(caller) ?? 0) - 1);
      this.#mine.set(caller, mine);
      // On failure the next confirmation writes it.
      await this.#write(caller, mine, false).then(
        () => {
          if (this.#mine.get(caller) === 0) this.#mine.delete(caller);
        },
        (error: unknown) => this.log(`could not record a closed subscription: ${(error as Error).message}`),
      );
    });
  }

  async #confirmAll(): Promise<void> {
    for (const caller of [...this.#mine.keys()]) {
      await this.#queue
        .run(caller, async () => {
          const mine = this.#mine.get(caller) ?? 0;
          await this.#write(caller, mine, false);
          if (mine === 0) this.#mine.delete(caller);
        })
        .catch((error: unknown) => this.log(`could not confirm open subscriptions: ${(error as Error).message}`));
    }
  }

  /**
   * Writes this replica's count for `caller`. With `check`, refuses (false) when the live total of
   * the other replicas plus `mine` exceeds `max`.
   */
  async #write(caller: string, mine: number, check: boolean): Promise<boolean> {
    const buckets = await this.buckets.get();
    if (!buckets) throw new Error('NATS is not connected');
    const kv = buckets.subscriptions;
    const key = callerKey(caller);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const entry = await kv.get(key);
      const now = Date.now();
      const stored = entry?.operation === 'PUT' ? decodeTally(entry.value) : {};
      const tally = liveTally(stored, now, SUBSCRIPTION_TTL_MS);
      delete tally[this.replica];
      if (check && openSubscriptions(tally) + mine > this.max) return false;
      if (mine > 0) tally[this.replica] = { count: mine, at: now };
      if (await writeOver(kv, key, entry, encoder.encode(JSON.stringify(tally)))) return true;
    }
    throw new Error(`the subscription record of a caller stayed contended over ${MAX_ATTEMPTS} attempts`);
  }
}
