import type { Subscription } from 'nats';
import { downsample } from '../domain/downsample.js';
import type { AppliedChanges, LeaderboardChange } from '../ingest/apply-events.js';
import type { NatsLink } from '../nats-link.js';

/**
 * Subject on which gateway replicas tell each other what changed. Only one replica ingests a
 * given event batch (they share the durable consumer) and any replica may run a mutation, yet
 * every replica has subscribers: so changes go out over NATS, after the commit, and each replica
 * (the sender too) fans them out to its own subscribers. Core NATS, no stream: a subscriber that
 * is not connected at that moment reads the current state when it reconnects.
 */
export const UPDATES_SUBJECT = 'lrnas.gateway.updates';

/** Points of one key per run carried live at most; a subscriber wanting more reads metricSeries. */
export const MAX_LIVE_POINTS_PER_KEY = 200;

export type LiveUpdate =
  | { type: 'run'; runId: string; experimentId: string }
  | {
      type: 'metrics';
      runId: string;
      experimentId: string;
      /** `time` is the ISO time the worker produced the point (the message is JSON). */
      points: { key: string; step: number; value: number | null; time: string }[];
    }
  | ({ type: 'leaderboard' } & LeaderboardChange);

/** The live updates a committed ingestion batch implies. */
export function updatesOf(changes: AppliedChanges): LiveUpdate[] {
  const updates: LiveUpdate[] = [];
  // Points before run changes: a subscription on one run ends after the update that finds the run
  // ended, and the batch's last points must reach it first.
  for (const [runId, points] of changes.points) {
    const byKey = new Map<string, { step: number; value: number | null; time: Date }[]>();
    for (const p of points) {
      const series = byKey.get(p.key);
      if (series) series.push(p);
      else byKey.set(p.key, [p]);
    }
    const thinned = [...byKey.entries()].flatMap(([key, series]) =>
      downsample(
        series.sort((a, b) => a.step - b.step),
        MAX_LIVE_POINTS_PER_KEY,
      ).map((p) => ({ key, step: p.step, value: p.value, time: p.time.toISOString() })),
    );
    updates.push({ type: 'metrics', runId, experimentId: changes.experimentOf.get(runId)!, points: thinned });
  }
  for (const runId of changes.runs) {
    updates.push({ type: 'run', runId, experimentId: changes.experimentOf.get(runId)! });
  }
  for (const board of changes.leaderboards.values()) updates.push({ type: 'leaderboard', ...board });
  return updates;
}

/** Checks an update read from NATS (another process wrote it: a boundary). */
function decodeUpdates(bytes: Uint8Array): LiveUpdate[] {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { v?: unknown; updates?: unknown };
  if (parsed.v !== 1 || !Array.isArray(parsed.updates)) throw new Error('not a v1 update message');
  return parsed.updates.filter((u: unknown): u is LiveUpdate => {
    if (typeof u !== 'object' || u === null) return false;
    const update = u as Record<string, unknown>;
    if (update.type === 'run') return typeof update.runId === 'string' && typeof update.experimentId === 'string';
    if (update.type === 'metrics') return typeof update.runId === 'string' && Array.isArray(update.points);
    if (update.type === 'leaderboard') {
      return (
        typeof update.dataset === 'string' &&
        typeof update.epsilon === 'number' &&
        typeof update.public === 'boolean' &&
        typeof update.teamId === 'string'
      );
    }
    return false;
  });
}

/** A subscription's updates; `endAfterQueued` ends it once the updates that had arrived are read. */
export interface LiveIterator<T> extends AsyncIterableIterator<T> {
  endAfterQueued(): void;
}

/** The live-update hub of one gateway: sends changes to all replicas, delivers them to local subscribers. */
export class LiveUpdates {
  readonly #listeners = new Set<(update: LiveUpdate) => void>();
  #subscription?: Subscription;

  constructor(
    private readonly nats: NatsLink,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts listening to the other replicas once NATS is reachable. */
  async start(): Promise<void> {
    await this.nats.ready;
    const nc = this.nats.connection;
    if (!nc) return;
    this.#subscription = nc.subscribe(UPDATES_SUBJECT, {
      callback: (error, message) => {
        // A replica with no subscriber has no one to decode a batch's points for.
        if (error || this.#listeners.size === 0) return;
        try {
          for (const update of decodeUpdates(message.data)) for (const listener of this.#listeners) listener(update);
        } catch (cause) {
          this.log(`ignoring a malformed live update: ${(cause as Error).message}`);
        }
      },
    });
    // The subscription must be registered with the server before changes are sent.
    await nc.flush();
  }

  /** Sends updates to every replica (this one included). Dropped while NATS is down. */
  publish(updates: LiveUpdate[]): void {
    const nc = this.nats.connection;
    if (updates.length === 0 || !nc) return;
    nc.publish(UPDATES_SUBJECT, new TextEncoder().encode(JSON.stringify({ v: 1, updates })));
  }

  /**
   * The updates `select` keeps, as an async iterator for a GraphQL subscription; returning the
   * iterator (the client unsubscribed or went away) removes the listener, and so does
   * `endAfterQueued` once what had arrived is read. A subscriber that falls more than `capacity`
   * updates behind loses the oldest: it can re-read the current state.
   */
  listen<T>(select: (update: LiveUpdate) => T | undefined, capacity = 1000): LiveIterator<T> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let endAfterQueued = false;
    const listener = (update: LiveUpdate) => {
      const value = select(update);
      if (value === undefined) return;
      queue.push(value);
      if (queue.length > capacity) queue.shift();
      wake?.();
    };
    this.#listeners.add(listener);
    const stop = (): IteratorResult<T> => {
      finished = true;
      this.#listeners.delete(listener);
      wake?.();
      return { done: true, value: undefined };
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<T>> {
        while (!finished && !endAfterQueued && queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        wake = undefined;
        if (finished) return { done: true, value: undefined };
        if (queue.length === 0) return stop();
        return { done: false, value: queue.shift()! };
      },
      endAfterQueued(): void {
        endAfterQueued = true;
        wake?.();
      },
      async return(): Promise<IteratorResult<T>> {
        return stop();
      },
      async throw(error?: unknown): Promise<IteratorResult<T>> {
        stop();
        throw error;
      },
    };
  }

  /**
   * Resolves once every update this replica published before the call has reached its own listeners:
   * NATS delivers a connection's messages in order, and the server answers the flush after them.
   */
  async roundTrip(): Promise<void> {
    await this.nats.connection?.flush();
  }

  /** Local subscribers now. */
  get listeners(): number {
    return this.#listeners.size;
  }

  stop(): void {
    this.#subscription?.unsubscribe();
    for (const listener of [...this.#listeners]) this.#listeners.delete(listener);
  }
}

/**
 * Whether a subscriber of team `teamId` (undefined: anonymous) may hear that a leaderboard changed:
 * the moment a private evaluation is stored is private too, so its team alone is told.
 */
export function mayHear(update: LeaderboardChange, teamId: string | undefined): boolean {
  return update.public || update.teamId === teamId;
}
