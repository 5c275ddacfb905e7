import type { ConsumerInfo, JetStreamManager, NatsConnection } from 'nats';
import { EVENTS_CONSUMER, EVENTS_STREAM, TOPOLOGY, runEventsFilter } from '@lrnas/schema';
import type { NatsLink } from '../nats-link.js';

/** How often the shared consumer is read while anyone waits on it. */
const POLL_MS = 50;
/**
 * Waited beyond the consumer's AckWait: a batch held by a replica that died is redelivered after
 * AckWait, and another replica then needs a moment to store it.
 */
const REDELIVERY_MARGIN_MS = 10_000;
const CONTRACT_ACK_WAIT_NS = TOPOLOGY.consumers.find((c) => c.durable_name === EVENTS_CONSUMER)!.ack_wait;

/**
 * How a wait ended. `settled`: every event of the run was stored (or refused for good); `none`: the
 * stream holds no event of the run (a logged run); `timed out`: not within the limit; `unavailable`:
 * NATS could not tell (not connected, or the gateway is stopping); `abandoned`: the caller gave up.
 */
export type RunEventsWait = 'settled' | 'none' | 'timed out' | 'unavailable' | 'abandoned';

interface Waiter {
  runId: string;
  /** Stream sequence of the run's last event when the wait began. */
  target: number;
  since: number;
  settle(outcome: RunEventsWait): void;
}

/**
 * Whether the gateway replicas have stored a run's events, read from the durable consumer they
 * share: it acknowledges a message only after the transaction that stored it committed, so once its
 * ack floor (every message at or below it acknowledged) reaches the run's last event, every event of
 * the run is in the database, whichever replica took it. Replicas ingest batches in parallel, so a
 * replica that stored the event ending a run says nothing about one still writing the run's previous
 * events; this does. One poll of the consumer serves every waiter.
 */
export class IngestProgress {
  readonly #waiters = new Set<Waiter>();
  #manager?: { nc: NatsConnection; jsm: JetStreamManager };
  #polling = false;
  #stopped = false;
  #wake?: () => void;

  constructor(
    private readonly nats: Pick<NatsLink, 'connection'>,
    private readonly log: (line: string) => void,
    /** `limitMs` overrides the limit of a wait (the consumer's AckWait plus a margin). */
    private readonly options: { limitMs?: number } = {},
  ) {}

  /** Waits in progress now. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves once every event the stream holds for `runId` now has been stored or refused, or when
   * that cannot be told: the limit passed (a replica that holds some died and AckWait has not yet
   * handed them to another; they are stored later, unseen by the caller), NATS is unavailable, or
   * `signal` aborted. The run's last event is looked up in the stream rather than named by the
   * caller, so this serves however the caller learned that the run ended: an update from ingestion
   * or from a mutation, or a read as it subscribed.
   */
  async runSettled(runId: string, signal?: AbortSignal): Promise<RunEventsWait> {
    const jsm = await this.#jsm();
    if (!jsm) return 'unavailable';
    let target: number;
    try {
      target = (await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: runEventsFilter(runId) })).seq;
    } catch (error) {
      if ((error as { api_error?: { code?: number } }).api_error?.code === 404) return 'none';
      this.log(`could not read the last event of run ${runId}: ${(error as Error).message}`);
      return 'unavailable';
    }
    if (signal?.aborted) return 'abandoned';
    if (this.#stopped) return 'unavailable';
    return new Promise((resolve) => {
      const abandon = () => waiter.settle('abandoned');
      const waiter: Waiter = {
        runId,
        target,
        since: Date.now(),
        settle: (outcome) => {
          this.#waiters.delete(waiter);
          signal?.removeEventListener('abort', abandon);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', abandon, { once: true });
      this.#waiters.add(waiter);
      void this.#poll();
    });
  }

  /** Ends every wait (as `unavailable`): the gateway is stopping. */
  stop(): void {
    this.#stopped = true;
    for (const waiter of [...this.#waiters]) waiter.settle('unavailable');
    this.#wake?.();
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      while (this.#waiters.size > 0 && !this.#stopped) {
        const info = await this.#consumer();
        if (info === 'closed') {
          for (const waiter of [...this.#waiters]) waiter.settle('unavailable');
          break;
        }
        const floor = info?.ack_floor.stream_seq ?? 0;
        // Operators may change AckWait (ensureTopology keeps theirs): the limit follows the consumer.
        const limitMs =
          this.options.limitMs ?? (info?.config.ack_wait ?? CONTRACT_ACK_WAIT_NS) / 1e6 + REDELIVERY_MARGIN_MS;
        const now = Date.now();
        for (const waiter of [...this.#waiters]) {
          if (floor >= waiter.target) waiter.settle('settled');
          else if (now - waiter.since >= limitMs) {
            this.log(
              `events of run ${waiter.runId} up to stream sequence ${waiter.target} were not all stored within ` +
                `${Math.round(limitMs / 1000)} s (ack floor ${floor}); a subscription's closing read goes ahead without them`,
            );
            waiter.settle('timed out');
          }
        }
        if (this.#waiters.size === 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    } finally {
      this.#polling = false;
    }
  }

  /** The consumer's state; undefined when it could not be read this time, `closed` without a connection. */
  async #consumer(): Promise<ConsumerInfo | undefined | 'closed'> {
    const jsm = await this.#jsm();
    if (!jsm) return 'closed';
    try {
      return await jsm.consumers.info(EVENTS_STREAM, EVENTS_CONSUMER);
    } catch {
      // NATS may be reconnecting: the next poll tries again, and the limit still applies.
      return undefined;
    }
  }

  async #jsm(): Promise<JetStreamManager | undefined> {
    const nc = this.nats.connection;
    if (!nc) return undefined;
    if (this.#manager?.nc !== nc) this.#manager = { nc, jsm: await nc.jetstreamManager({ checkAPI: false }) };
    return this.#manager.jsm;
  }
}
