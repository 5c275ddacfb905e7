import type { ConsumerMessages, NatsConnection } from 'nats';
import {
  EVENTS_STREAM,
  EVENTS_SUBJECT_PREFIX,
  eventCodec,
  JOBS_CONSUMER,
  JOBS_STREAM,
  type RunEvent,
} from '@lrnas/schema';

/** A run's events as the gateway reads them: what the events stream stored, in stream order. */
export interface RunEventWatch {
  events: RunEvent[];
  /** Stops watching. */
  stop(): void;
  /** Waits until `done` holds; on timeout the error lists the events so far and `context()`. */
  until(done: (events: RunEvent[]) => boolean, ms: number, context?: () => string): Promise<void>;
}

/**
 * Follows a run's events through an ordered consumer on the events stream. Not a plain subscription
 * to the event subjects: a publish whose acknowledgement timed out is sent again with the same
 * message id, and JetStream stores it once, but a plain subscriber receives both copies.
 */
export function watchRunEvents(nc: NatsConnection, runId: string): RunEventWatch {
  const events: RunEvent[] = [];
  let messages: ConsumerMessages | undefined;
  let stopped = false;
  let failure: unknown;
  const reading = (async () => {
    const consumer = await nc
      .jetstream()
      .consumers.get(EVENTS_STREAM, { filterSubjects: `${EVENTS_SUBJECT_PREFIX}.${runId}.>` });
    if (stopped) return;
    messages = await consumer.consume();
    for await (const message of messages) events.push(eventCodec.decode(message.data));
  })().catch((error: unknown) => {
    if (!stopped) failure = error;
  });
  return {
    events,
    stop: () => {
      stopped = true;
      messages?.stop();
      void reading;
    },
    until: async (done, ms, context) => {
      const deadline = Date.now() + ms;
      while (!done(events)) {
        if (failure !== undefined) throw failure;
        if (Date.now() > deadline) {
          const types = events.map((e) => e.type).join(',');
          throw new Error(`timed out; events so far: ${types}${context ? `\n${context()}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** The run reached a final status. */
export const finished = (events: RunEvent[]) =>
  events.some((e) => e.type === 'status' && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status));

/**
 * Waits until no job is waiting or delivered-and-unsettled (a termed job counts as settled). A
 * worker settles a message after its final events are stored, so this can trail `finished`.
 */
export async function jobsSettled(nc: NatsConnection, ms = 30_000): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER);
    const unsettled = info.num_pending + info.num_ack_pending;
    if (unsettled === 0) return;
    if (Date.now() > deadline) throw new Error(`${unsettled} jobs still unsettled after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
