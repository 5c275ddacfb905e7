import assert from 'node:assert/strict';
import type { MikroORM } from '@mikro-orm/core';
import { headers, type NatsConnection, type PubAck } from 'nats';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, eventSubject, type RunEvent } from '@lrnas/schema';
import { EVENT_SIGNATURE_HEADER, signEvent } from '@lrnas/schema/node';
import { Run } from '../../src/persistence/entities/index.js';

/** A whole event, typed as the contract says. */
export type SignedEventInput = RunEvent;
/** An event still to be validated (a test may build one loosely, or wrongly on purpose). */
type EventDraft = Record<string, unknown> & { runId: string };

/**
 * Publishes an event as the worker holding the run's job does: validated by the contract and
 * signed with the run's event key, read from the database (a worker gets it with the job).
 * `key` overrides it, to play a forger.
 */
export async function publishSignedEvent(
  nc: NatsConnection,
  orm: MikroORM,
  input: RunEvent | EventDraft,
  key?: string,
): Promise<PubAck> {
  const event = eventCodec.parse(input);
  const data = eventCodec.encode(event);
  // A run the database does not know has no key: its event goes out unsigned.
  const runKey = key ?? (await orm.em.fork().findOne(Run, event.runId))?.eventKey;
  const signed = headers();
  if (runKey) signed.set(EVENT_SIGNATURE_HEADER, signEvent(runKey, data));
  return nc.jetstream().publish(eventSubject(event.runId, event.type), data, { headers: signed });
}

/**
 * Resolves once the gateway's event consumer has nothing pending or unacknowledged: every event published so far
 * is ingested. With `timeoutMs`, fails after that long, saying what the consumer still holds; without, it waits
 * as long as the test may.
 */
export async function eventsDrained(nc: NatsConnection, timeoutMs?: number): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  for (;;) {
    const info = await jsm.consumers.info(EVENTS_STREAM, EVENTS_CONSUMER);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > deadline) assert.fail(`events not ingested: ${JSON.stringify(info)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
