import type { MikroORM } from '@mikro-orm/core';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, parseEventSubject, type RunEvent } from '@lrnas/schema';
import { EVENT_SIGNATURE_HEADER, isSignedBy } from '@lrnas/schema/node';
import type { RefusalReason } from '../domain/event-admission.js';
import { applyEvents, type AppliedChanges } from './apply-events.js';
import { ConsumerLoop } from './consumer-loop.js';

/** Messages taken from the stream per transaction. */
const BATCH = 500;
/** An event that must wait for another (an evaluation for its genotype) is retried this often... */
const DEFER_MS = 500;
/** ...this many times (a minute), then dropped with a log line. */
const MAX_DEFERRALS = 120;
/**
 * An event of an attempt not seen starting waits for that attempt's RUNNING this often and this
 * many times: past the event consumer's AckWait (a minute), after which a RUNNING held by a
 * gateway that crashed is redelivered. Then it is refused as `not_started`.
 */
export const UNSTARTED_DELAY_MS = 1000;
export const UNSTARTED_DEFERRALS = 150;

/** Settings of an ingestor beyond its connections. */
export interface IngestorOptions {
  /** Lock the rows of the runs a batch touches (PostgreSQL, where replicas ingest concurrently). */
  lockRuns?: boolean;
  /** Told of every batch written (metrics). */
  onStored?: (events: readonly RunEvent[]) => void;
  /** Told of every event refused for its context (metrics). */
  onRefused?: (reason: RefusalReason) => void;
  /** How many times an event of an attempt not seen starting is handed back before it is refused. */
  unstartedDeferrals?: number;
  /** Told how long each part of every batch took (the benchmark's split of ingestion time). */
  onTimed?: (timings: BatchTimings) => void;
}

/** Milliseconds a batch spent in each part of its ingestion. */
export interface BatchTimings {
  /** Decoding and validating the messages (the event codec) and checking their subjects. */
  decode: number;
  /** applyEvents: reading the runs, admission, signatures, the ORM's flush and the metric points' SQL. */
  apply: number;
  /** The commit. */
  commit: number;
  /** Acknowledging the messages and sending the live updates. */
  settle: number;
}

/**
 * The gateway's durable consumer of the event stream: it writes each batch in one transaction and
 * acknowledges the messages only after the commit, so a crash mid-batch means redelivery, and
 * redelivery is harmless because applying events is idempotent.
 */
export class EventIngestor extends ConsumerLoop {
  /** Messages of this session taken from the stream and not yet handled. */
  #pending: JsMsg[] = [];
  #wake?: () => void;

  constructor(
    nc: NatsConnection,
    private readonly orm: MikroORM,
    log: (line: string) => void,
    private readonly onApplied: (changes: AppliedChanges) => void = () => {},
    private readonly options: IngestorOptions = {},
  ) {
    super(nc, log, 'event consumer');
  }

  protected async open(): Promise<ConsumerMessages> {
    this.#pending = [];
    const consumer = await this.nc.jetstream().consumers.get(EVENTS_STREAM, EVENTS_CONSUMER);
    return consumer.consume({ max_messages: BATCH });
  }

  /**
   * Messages stream in through a continuous pull; each transaction takes whatever has arrived
   * (up to BATCH). An idle gateway thus stores an event as soon as it comes, and a busy one
   * batches naturally: what arrives while a transaction runs goes into the next one. stop()
   * lets the batch in hand finish.
   */
  protected async read(messages: ConsumerMessages): Promise<void> {
    const pending = this.#pending;
    let ended = false;
    const reading = (async () => {
      for await (const m of messages) {
        pending.push(m);
        this.#wake?.();
      }
    })().finally(() => {
      ended = true;
      this.#wake?.();
    });
    while (this.running && !ended) {
      if (pending.length === 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      // The client hands over the messages of each read from the socket, and a batch on SQLite
      // runs without reaching the event loop, so a batch taken at once held what one read brought
      // (a backlog went in transactions of a message or two). The batch waits a turn of the loop
      // for more, and more turns while each brings more (up to BATCH): a lone event waits one.
      let before: number;
      do {
        before = pending.length;
        await new Promise((resolve) => setImmediate(resolve));
      } while (pending.length > before && pending.length < BATCH);
      await this.#ingest(pending.splice(0, BATCH));
    }
    messages.stop();
    await reading;
  }

  protected override stopping(): void {
    this.#wake?.();
  }

  /** Messages taken but not stored would be redelivered after the ack wait; nak them to be quicker. */
  protected override afterSession(): void {
    for (const message of this.#pending.splice(0)) message.nak();
  }

  async #ingest(messages: JsMsg[]): Promise<void> {
    const started = performance.now();
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
    const messageOf = new Map(events.map((event, i) => [event, good[i]!]));
    const signature = (event: RunEvent, runKey: string | null) => {
      const message = messageOf.get(event)!;
      const signed = message.headers?.get(EVENT_SIGNATURE_HEADER);
      if (!signed) return 'missing';
      return runKey && isSignedBy(runKey, message.data, signed) ? 'valid' : 'invalid';
    };
    const decoded = performance.now();
    let applied = decoded;
    try {
      const changes = await this.orm.em.fork().transactional(async (em) => {
        const result = await applyEvents(em, events, { lockRuns: this.options.lockRuns ?? false, signature });
        applied = performance.now();
        return result;
      });
      const committed = performance.now();
      const refused = [...changes.refused];
      const unstartedDeferrals = this.options.unstartedDeferrals ?? UNSTARTED_DEFERRALS;
      good.forEach((message, i) => {
        const event = events[i]!;
        if (changes.unstarted.has(event)) {
          if (message.info.redeliveryCount < unstartedDeferrals) message.nak(UNSTARTED_DELAY_MS);
          else {
            refused.push({ event, reason: 'not_started', detail: `attempt ${event.attempt} never started` });
            message.ack();
          }
        } else if (!changes.deferred.has(event)) message.ack();
        else if (message.info.redeliveryCount < MAX_DEFERRALS) message.nak(DEFER_MS);
        else {
          this.log(`dropped ${event.type} event of run ${event.runId}: what it refers to never arrived`);
          message.ack();
        }
      });
      for (const runId of changes.unknownRuns) this.log(`dropped events of unknown run ${runId}`);
      this.#reportRefused(refused);
      const notStored = new Set([...refused.map((r) => r.event), ...changes.unstarted, ...changes.deferred]);
      this.options.onStored?.(events.filter((e) => !notStored.has(e)));
      this.onApplied(changes);
      this.options.onTimed?.({
        decode: decoded - started,
        apply: applied - decoded,
        commit: committed - applied,
        settle: performance.now() - committed,
      });
    } catch (error) {
      // The database refused the batch: give it back to JetStream for a later try.
      this.log(`event batch of ${events.length} not stored (${(error as Error).message}); will retry`);
      for (const message of good) message.nak(2000);
    }
  }

  /** One log line per run and reason of a batch (a stray worker may send thousands), each counted. */
  #reportRefused(refused: AppliedChanges['refused']): void {
    const lines = new Map<string, { count: number; types: Set<string>; detail: string }>();
    for (const { event, reason, detail } of refused) {
      this.options.onRefused?.(reason);
      const key = `${event.runId}\u0000${reason}`;
      const line = lines.get(key) ?? { count: 0, types: new Set(), detail };
      line.count += 1;
      line.types.add(event.type);
      lines.set(key, line);
    }
    for (const [key, { count, types, detail }] of lines) {
      const [runId, reason] = key.split('\u0000');
      this.log(
        `refused ${count} event(s) (${[...types].join(', ')}) of run ${runId} (${reason}): ${detail}; nothing stored`,
      );
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
