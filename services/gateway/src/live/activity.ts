// A run's live activity feed: its log lines and architecture-weight snapshots, read from the event
// stream rather than the database.
import type { ConsumerMessages, NatsConnection } from 'nats';
import { GraphQLJSON } from 'graphql-scalars';
import {
  Arg,
  Field,
  ID,
  Int,
  ObjectType,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from 'type-graphql';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, ErrorCode, LrnasError, eventCodec } from '@lrnas/schema';
import { readableRun } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';

@ObjectType({ description: "A log line or an architecture-weight snapshot from a run's worker." })
export class RunActivity {
  @Field(() => ID, { description: 'The run.' })
  runId!: string;

  @Field(() => String, { description: 'log or snapshot.' })
  type!: string;

  @Field(() => Int, { description: 'Delivery attempt that sent it.' })
  attempt!: number;

  @Field(() => Int, { description: 'Sequence within the attempt.' })
  seq!: number;

  @Field(() => Date, { description: 'When the worker sent it.' })
  time!: Date;

  @Field(() => String, { nullable: true, description: 'Log level: debug, info, warn or error.' })
  level?: string | null;

  @Field(() => String, { nullable: true, description: 'Log message.' })
  message?: string | null;

  @Field(() => Int, { nullable: true, description: 'Search epoch of a snapshot.' })
  epoch?: number | null;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Architecture weights {normal, reduce}: per cell 14 edges by 8 operations.',
  })
  alphas?: unknown;

  @Field(() => GraphQLJSON, { nullable: true, description: 'Contribution values, same shape, once scoring started.' })
  contributions?: unknown;
}

/**
 * Logs and snapshots are not stored in the database (they are live-only), but the event stream
 * keeps them (30 days): each subscription replays the run's log and snapshot events from the
 * stream with an ordered consumer, then follows new ones.
 */
@Resolver()
export class ActivityResolver {
  @Subscription(() => RunActivity, {
    description: "The run's log lines and architecture-weight snapshots: every one sent so far, then each new one.",
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, { runId: string }, GatewayContext>) => {
      const run = await readableRun(context.em, context.viewer, args.runId);
      const nc = context.nats.connection;
      if (!nc)
        throw new LrnasError(ErrorCode.UNAVAILABLE, 'NATS is not reachable; logs and snapshots are read from it');
      return replayActivity(nc, run.id);
    },
  })
  runActivity(
    @Root() item: RunActivity,
    @Arg('runId', () => ID, { description: 'The run.' }) _runId: string,
  ): RunActivity {
    return item;
  }
}

async function replayActivity(nc: NatsConnection, runId: string): Promise<AsyncIterableIterator<RunActivity>> {
  // One filter for all of the run's events: nats-server before 2.10 (Debian 12 ships 2.9) takes
  // a single filter subject per consumer; the other types are skipped below.
  const consumer = await nc
    .jetstream()
    .consumers.get(EVENTS_STREAM, { filterSubjects: `${EVENTS_SUBJECT_PREFIX}.${runId}.*` });
  const messages: ConsumerMessages = await consumer.consume();
  const inner = messages[Symbol.asyncIterator]();
  // A hand-written iterator rather than an async generator: `return()` (the client unsubscribed)
  // must stop the consumer at once, even while waiting for a message that may never come.
  const iterator: AsyncIterableIterator<RunActivity> = {
    async next() {
      for (;;) {
        const result = await inner.next();
        if (result.done) return { done: true, value: undefined };
        const item = toActivity(result.value.data);
        if (item) return { done: false, value: item };
      }
    },
    async return() {
      await messages.close().catch(() => undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function toActivity(data: Uint8Array): RunActivity | undefined {
  let event;
  try {
    event = eventCodec.decode(data);
  } catch {
    return undefined; // the ingestor terminates malformed events; here they are just skipped
  }
  const base = {
    runId: event.runId,
    type: event.type,
    attempt: event.attempt,
    seq: event.seq,
    time: new Date(event.time),
  };
  if (event.type === 'log') return { ...base, level: event.level, message: event.message };
  if (event.type === 'snapshot') {
    return { ...base, epoch: event.epoch, alphas: event.alphas, contributions: event.contributions ?? null };
  }
  return undefined;
}
