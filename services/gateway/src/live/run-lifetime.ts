// What the subscriptions on a run share: each event is read with a fresh entity manager, and a
// subscription on one run ends when the run does (runUpdated, metricsAdded).
import type { SubscribeResolverData } from 'type-graphql';
import { isTerminal, type RunStatusName } from '../domain/run-progress.js';
import type { GatewayContext } from '../graphql/context.js';
import { Run as RunEntity } from '../persistence/entities/index.js';
import type { LiveUpdate } from './updates.js';

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
 * `updates` of one run for as long as the run lives: after each of its run updates the run is read,
 * and once it has ended (or had ended when the subscription began) the subscription completes, so a
 * client learns the run is over without polling. Its run updates are passed on only when `withRun`.
 * An iterator object rather than an async generator: a generator waiting for the next update would
 * only see the client's unsubscribe (return) once another update came.
 */
export function whileRunLives<T extends LiveUpdate>(
  context: GatewayContext,
  runId: string,
  updates: AsyncIterableIterator<T>,
  withRun: boolean,
): AsyncIterableIterator<T> {
  let started = false;
  let endNext = false;
  const end = async (): Promise<IteratorResult<T>> => {
    await updates.return?.();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (!started) {
        started = true;
        if (await hasEnded(context, runId)) return end();
      }
      if (endNext) return end();
      for (;;) {
        const next = await updates.next();
        if (next.done) return next;
        if (next.value.type !== 'run') return next;
        const ended = await hasEnded(context, runId);
        if (withRun) {
          endNext = ended;
          return next;
        }
        if (ended) return end();
      }
    },
    return: end,
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      await end();
      throw error;
    },
  };
}
