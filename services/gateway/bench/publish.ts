import { headers, type NatsConnection } from 'nats';
import { EVENT_SIGNATURE_HEADER, signEvent } from '@lrnas/schema/node';

/** Publishes events to JetStream signed as the worker holding the run's job signs them, 20 at a time. */
export async function publishSigned(
  nc: NatsConnection,
  subject: string,
  events: readonly Uint8Array[],
  eventKey: string,
): Promise<void> {
  const js = nc.jetstream();
  for (let e = 0; e < events.length; e += 20) {
    await Promise.all(events.slice(e, e + 20).map((data) => js.publish(subject, data, signedBy(eventKey, data))));
  }
}

/** Publish options of an event signed with the run's key (the gateway refuses others). */
export function signedBy(key: string, data: Uint8Array): { headers: ReturnType<typeof headers> } {
  const signed = headers();
  signed.set(EVENT_SIGNATURE_HEADER, signEvent(key, data));
  return { headers: signed };
}
