import type { ConsumerMessages, NatsConnection } from 'nats';

/** How long a failed session waits before the next (NATS or the database may be coming back). */
const RETRY_MS = 1000;

/**
 * The life of one of the gateway's durable consumers: while started, a session opens the consumer
 * and reads it until its messages end; a session that fails is logged and the next one starts a
 * second later. stop() ends the messages of the session in hand and waits for it to finish what it
 * holds. Subclasses say how to open and how to read.
 */
export abstract class ConsumerLoop {
  #running = false;
  #loop?: Promise<void>;
  #messages?: ConsumerMessages;

  protected constructor(
    protected readonly nc: NatsConnection,
    protected readonly log: (line: string) => void,
    /** What the loop reads, for its log lines ("event consumer"). */
    private readonly what: string,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#messages?.stop();
    this.stopping();
    await this.#loop;
  }

  protected get running(): boolean {
    return this.#running;
  }

  /** The consumer's messages for one session. */
  protected abstract open(): Promise<ConsumerMessages>;

  /** Handles `messages` until they end (stop() ends them). */
  protected abstract read(messages: ConsumerMessages): Promise<void>;

  /** Called by stop(), for a subclass that waits on more than the messages. */
  protected stopping(): void {}

  /** Called after each session that was not ended by stop(). */
  protected afterSession(): void {}

  async #run(): Promise<void> {
    while (this.#running && !this.nc.isClosed()) {
      try {
        const messages = await this.open();
        this.#messages = messages;
        // stop() may have come while the consumer was being set up.
        if (!this.#running) messages.stop();
        await this.read(messages);
      } catch (error) {
        if (!this.#running || this.nc.isClosed()) break;
        this.log(`${this.what} failed: ${(error as Error).message}; retrying`);
      }
      this.afterSession();
      if (this.#running && !this.nc.isClosed()) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
