// What the subscriptions on a run share: each event is read with a fresh entity manager, and a
// subscription on one run ends when the run does (runUpdated, metricsAdded).
import type { SubscribeResolverData } from 'type-graphql';
import { isTerminal, type RunStatusName } from '../domain/run-progress.js';
import type { GatewayContext } from '../graphql/context.js';
import { Run as RunEntity } from '../persistence/entities/index.js';
import type { LiveIterator, LiveUpdate } from './updates.js';

/** What a subscription's `subscribe` receives. */
export type SubscribeData<Args> = SubscribeResolverData<unknown, Args, GatewayContext>;
/** The live update of one type. */
export type Of<T extends LiveUpdate['type']> = Extract<LiveUpdate, { type: T }>;

/**
 * Each event of a subscription is read with a new entity manager: the operation's context lives
 * as long as the subscription, and a long-lived identity map would serve stale rows.
 */
export function refresh(context: GatewayContext): GatewayContext {
  context.em = context.db.orm.em.fork();
  return context;
}

async function hasEnded(context: GatewayContext, runId: string): Promise<boolean> {
  const run = await context.db.orm.em.fork().findOne(RunEntity, { id: runId }, { fields: ['status'] });
  return !run || isTerminal(run.status as RunStatusName);
}

/**
 * What a subscription sends once the run has ended, before it completes: the updates the client
 * would otherwise miss. Ingestion is shared by the gateway replicas, and each sends its updates
 * after its own commit, so the update that finds the run ended (from one replica) can overtake the
 * run's last points (stored by another, not yet sent, or not even committed yet); `last` reads them
 * from the database once every event of the run is stored (IngestProgress).
 */
export interface Closing<T> {
  /** Told each update as it is sent. */
  sent(update: T): void;
  /** Read when the run has ended: what to send before completing. */
  last(): Promise<T[]>;
}

/**
 * The updates of one run for as long as the run lives: after each of its run updates the run is read,
 * and once it has ended the subscription completes, after every update that came before and what
 * `closing` adds, so a client learns the run is over without polling. Its run updates are passed on
 * only when `withRun`. A run that had ended when the subscription began completes it at once (its
 * points are stored, for metricSeries). The run is read before listening, so that updates arriving
 * meanwhile are not lost to that answer; a run that ends in between is caught by a second read,
 * after listening.
 * An iterator object rather than an async generator: a generator waiting for the next update would
 * only see the client's unsubscribe (return) once another update came.
 */
export async function whileRunLives<T extends LiveUpdate>(
  context: GatewayContext,
  runId: string,
  listen: () => LiveIterator<T>,
  withRun: boolean,
  closing?: Closing<T>,
): Promise<AsyncIterableIterator<T>> {
  if (await hasEnded(context, runId)) return ended<T>();
  const updates = listen();
  // Its last updates may have passed before the listener was there; those this replica sent are
  // back after a round trip, the other replicas' are what `closing` reads.
  void hasEnded(context, runId)
    .then(async (endedMeanwhile) => {
      if (!endedMeanwhile) return;
      await context.live.roundTrip();
      updates.endAfterQueued();
    })
    .catch(() => updates.endAfterQueued());
  let endNext = false;
  let returned = false;
  /** Ends the wait for the run's events when the client goes away meanwhile. */
  const gone = new AbortController();
  /** What is left to send once the run has ended; undefined while it lives. */
  let last: T[] | undefined;
  const end = async (): Promise<IteratorResult<T>> => {
    returned = true;
    gone.abort();
    await updates.return?.();
    return { done: true, value: undefined };
  };
  const send = (value: T): IteratorResult<T> => {
    closing?.sent(value);
    return { done: false, value };
  };
  /** The run has ended: what `closing` reads, then the end. */
  const runEnded = async (): Promise<IteratorResult<T>> => {
    if (returned) return { done: true, value: undefined };
    if (!last && closing) {
      // Another replica may still be writing a batch of the run's events taken before the one that
      // ended it: read once they are all stored (bounded: see IngestProgress.runSettled).
      await context.ingest.runSettled(runId, gone.signal);
      if (returned) return { done: true, value: undefined };
    }
    last ??= (await closing?.last()) ?? [];
    const value = last.shift();
    return value === undefined ? end() : send(value);
  };
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (last) return runEnded();
      if (endNext) return end();
      for (;;) {
        const next = await updates.next();
        // Ended by endAfterQueued (the run ended as the subscription began) or by the client.
        if (next.done) return runEnded();
        if (next.value.type !== 'run') return send(next.value);
        const ended = await hasEnded(context, runId);
        if (withRun) {
          endNext = ended;
          return send(next.value);
        }
        if (ended) return runEnded();
      }
    },
    return: end,
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      await end();
      throw error;
    },
  };
  return iterator;
}

/** A subscription that has nothing to send. */
function ended<T>(): AsyncIterableIterator<T> {
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: async () => ({ done: true, value: undefined }),
    return: async () => ({ done: true, value: undefined }),
    throw: async (error?: unknown) => {
      throw error;
    },
  };
}
