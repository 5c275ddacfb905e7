import type { NatsConnection, Subscription } from 'nats';
import { EVENTS_SUBJECT_PREFIX, eventCodec, type RunEvent } from '@lrnas/schema';

/** A run's events as the gateway would read them, collected live from the event subjects. */
export interface RunEventWatch {
  events: RunEvent[];
  sub: Subscription;
  /** Waits until `done` holds; on timeout the error lists the events so far and `context()`. */
  until(done: (events: RunEvent[]) => boolean, ms: number, context?: () => string): Promise<void>;
}

export function watchRunEvents(nc: NatsConnection, runId: string): RunEventWatch {
  const events: RunEvent[] = [];
  const sub = nc.subscribe(`${EVENTS_SUBJECT_PREFIX}.${runId}.>`, {
    callback: (_err, msg) => events.push(eventCodec.decode(msg.data)),
  });
  return {
    events,
    sub,
    until: async (done, ms, context) => {
      const deadline = Date.now() + ms;
      while (!done(events)) {
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
