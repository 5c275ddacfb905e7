import type { MikroORM } from '@mikro-orm/core';
import type { JsMsg, NatsConnection } from 'nats';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, parseEventSubject, type RunEvent } from '@lrnas/schema';
import { applyEvents, type AppliedChanges } from './apply-events.js';

/** Messages taken from the stream per transaction. */
const BATCH = 500;

/**
 * The gateway's durable consumer of the event stream: it writes each batch in one transaction and
 * acknowledges the messages only after the commit, so a crash mid-batch means redelivery, and
 * redelivery is harmless because applying events is idempotent.
 */
export class EventIngestor {
  #running = false;
  #loop?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly orm: MikroORM,
    private readonly log: (line: string) => void,
    private readonly onApplied: (changes: AppliedChanges) => void = () => {},
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const consumer = await this.nc.jetstream().consumers.get(EVENTS_STREAM, EVENTS_CONSUMER);
    while (this.#running && !this.nc.isClosed()) {
      const messages: JsMsg[] = [];
      try {
        for await (const m of await consumer.fetch({ max_messages: BATCH, expires: 1000 })) messages.push(m);
      } catch (error) {
        if (!this.#running || this.nc.isClosed()) break;
        this.log(`event fetch failed: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length > 0) await this.#ingest(messages);
    }
  }

  async #ingest(messages: JsMsg[]): Promise<void> {
    const good: JsMsg[] = [];
    const events: RunEvent[] = [];
    for (const message of messages) {
      const event = this.#decode(message);
      if (event) {
        good.push(message);
        events.push(event);
      }
    }
    if (events.length === 0) return;
    try {
      const changes = await this.orm.em.fork().transactional((em) => applyEvents(em, events));
      for (const message of good) message.ack();
      for (const runId of changes.unknownRuns) this.log(`dropped events of unknown run ${runId}`);
      this.onApplied(changes);
    } catch (error) {
      // The database refused the batch: give it back to JetStream for a later try.
      this.log(`event batch of ${events.length} not stored (${(error as Error).message}); will retry`);
      for (const message of good) message.nak(2000);
    }
  }

  /** The event in `message`, or undefined after terminating a message that is not a valid one. */
  #decode(message: JsMsg): RunEvent | undefined {
    try {
      const event = eventCodec.decode(message.data);
      const subject = parseEventSubject(message.subject);
      if (!subject || subject.runId !== event.runId || subject.type !== event.type) {
        throw new Error(`subject ${message.subject} does not match event ${event.type} of run ${event.runId}`);
      }
      return event;
    } catch (error) {
      this.log(`terminated malformed event on ${message.subject}: ${(error as Error).message}`);
      message.term();
      return undefined;
    }
  }
}
