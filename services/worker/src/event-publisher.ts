import { headers, type JetStreamClient } from 'nats';
import {
  ContractError,
  eventCodec,
  eventSubject,
  LIMITS,
  type MetricEvent,
  type RunEvent,
  type RunEventBody,
} from '@lrnas/schema';
import { EVENT_SIGNATURE_HEADER, signEvent } from '@lrnas/schema/node';
import { retrying } from './retry.js';

/** A contract event without the envelope the publisher adds. */
export type EventBody = RunEventBody;
export type MetricPoint = MetricEvent['points'][number];

/** How metric points are batched, and how a failed publish is retried. */
export interface PublisherOptions {
  /** Publish the buffered points once this many are waiting. */
  maxPoints?: number;
  /** ...or once the oldest waiting point is this old (checked as points arrive). */
  maxAgeMs?: number;
  /** Pauses between the tries of one publish (default: `retrying`'s, about 16 s in all). */
  retryDelaysMs?: readonly number[];
}

/**
 * Publishes the events of one delivery of a run: adds run id, attempt and a rising sequence, batches
 * metric points, and publishes strictly in order through JetStream. The engine reports through
 * synchronous callbacks, so `emit` only queues; `flush` waits until JetStream has stored everything
 * queued and rethrows the first publish error (nothing queued after a failed event is published).
 *
 * The one owner of `seq` for its attempt: the message id is (run, attempt, seq), so a publish retried
 * after a lost acknowledgement is dropped by JetStream's duplicate window, never stored twice.
 *
 * Each event is signed with the run's event key, which came with the job (schema's
 * event-signature.ts): the gateway stores only events signed by a holder of the run's job.
 */
export class RunEventPublisher {
  #seq = 0;
  #points: MetricPoint[] = [];
  #oldestPointAt = 0;
  #chain: Promise<void> = Promise.resolve();
  #error: unknown;
  readonly #maxPoints: number;
  readonly #maxAgeMs: number;
  readonly #retryDelaysMs: readonly number[] | undefined;

  constructor(
    private readonly js: JetStreamClient,
    readonly runId: string,
    readonly attempt: number,
    private readonly eventKey: string,
    options: PublisherOptions = {},
  ) {
    this.#maxPoints = Math.min(options.maxPoints ?? 500, LIMITS.metricPointsPerBatch);
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#retryDelaysMs = options.retryDelaysMs;
  }

  /** Queues one event; pending metric points go first so that the stream keeps the engine's order. */
  emit(body: EventBody): void {
    this.#flushPoints();
    this.#enqueue(body);
  }

  /** Adds metric points to the current batch. */
  metric(points: MetricPoint[]): void {
    if (points.length === 0) return;
    if (this.#points.length === 0) this.#oldestPointAt = Date.now();
    this.#points.push(...points);
    if (this.#points.length >= this.#maxPoints || Date.now() - this.#oldestPointAt >= this.#maxAgeMs) {
      this.#flushPoints();
    }
  }

  /** Resolves once JetStream acknowledged every event queued so far. */
  async flush(): Promise<void> {
    this.#flushPoints();
    await this.#chain;
    if (this.#error !== undefined) throw this.#error;
  }

  #flushPoints(): void {
    while (this.#points.length > 0) {
      const points = this.#points.splice(0, this.#maxPoints);
      this.#enqueue({ type: 'metric', points });
    }
  }

  #enqueue(body: EventBody): void {
    const event = {
      ...body,
      v: 1,
      runId: this.runId,
      attempt: this.attempt,
      seq: this.#seq++,
      time: new Date().toISOString(),
    } as RunEvent;
    let data: Uint8Array;
    try {
      data = eventCodec.encode(event);
    } catch (error) {
      // An engine figure the contract refuses (a NaN in a matrix, say) must not kill a long run:
      // the event is replaced by a warning that says what was dropped and why.
      if (!(error instanceof ContractError) || body.type === 'log') throw error;
      this.#enqueue({ type: 'log', level: 'warn', message: `${body.type} event dropped: ${error.message}` });
      return;
    }
    // The message id makes a re-sent publish (client retry) a no-op in the events stream.
    const msgID = `${this.runId}:${this.attempt}:${event.seq}`;
    const signed = headers();
    signed.set(EVENT_SIGNATURE_HEADER, signEvent(this.eventKey, data));
    this.#chain = this.#chain.then(async () => {
      if (this.#error !== undefined) return;
      try {
        const subject = eventSubject(this.runId, event.type);
        await retrying(() => this.js.publish(subject, data, { msgID, headers: signed }), this.#retryDelaysMs);
      } catch (error) {
        this.#error = error;
      }
    });
  }
}
