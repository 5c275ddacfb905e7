import { connect, type KV, type NatsConnection } from 'nats';
import { natsServers, PRESENCE_TTL_MS, workerPresenceCodec, type WorkerPresence } from '@lrnas/schema';
import {
  ensureTopology,
  loginOptions,
  openBuckets,
  type Buckets,
  type NatsLogin,
  type TopologyOptions,
} from '@lrnas/schema/nats';

export interface NatsState {
  connected: boolean;
  server?: string;
  jetStream: boolean;
  error?: string;
}

/**
 * The gateway's NATS connection. It keeps trying in the background, so the gateway serves (and
 * reports NATS as down) while NATS is unreachable rather than refusing to start.
 */
export class NatsLink {
  #nc?: NatsConnection;
  #buckets?: Buckets;
  /** Latest presence record per worker, kept current by a watch on the workers bucket. */
  #presence = new Map<string, WorkerPresence>();
  #state: NatsState = { connected: false, jetStream: false };
  #closing = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void,
    private readonly topology: TopologyOptions = {},
    private readonly login: NatsLogin = {},
  ) {
    this.ready = this.#connect();
  }

  /** The connection, once established (undefined before, and after close). */
  get connection(): NatsConnection | undefined {
    return this.#nc && !this.#nc.isClosed() ? this.#nc : undefined;
  }

  /** The contract's buckets, opened once at connect (undefined before). */
  get buckets(): Buckets | undefined {
    return this.connection ? this.#buckets : undefined;
  }

  state(): NatsState {
    return { ...this.#state };
  }

  /** Workers whose presence record is fresh, ordered by id. */
  workers(now = Date.now()): WorkerPresence[] {
    if (!this.#state.connected) return [];
    return [...this.#presence.values()]
      .filter((p) => now - Date.parse(p.seenAt) <= PRESENCE_TTL_MS)
      .sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  /** Gives up connecting (if still trying); `ready` then resolves without a connection. */
  stopConnecting(): void {
    this.#closing = true;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.ready.catch(() => undefined);
    if (this.#nc && !this.#nc.isClosed()) await this.#nc.drain();
  }

  async #connect(): Promise<void> {
    while (!this.#closing) {
      try {
        const servers = natsServers(this.url, 'NATS_URL');
        const nc = await connect({
          servers,
          name: 'lrnas-gateway',
          maxReconnectAttempts: -1,
          ...loginOptions(this.login),
        });
        this.#nc = nc;
        await ensureTopology(await nc.jetstreamManager(), this.topology);
        this.#buckets = await openBuckets(nc.jetstream(), this.topology);
        await this.#followPresence(this.#buckets.workers);
        this.#state = { connected: true, server: nc.getServer(), jetStream: true };
        this.log(`connected to NATS at ${nc.getServer()}`);
        void this.#watch(nc);
        return;
      } catch (error) {
        this.#state = { connected: false, jetStream: false, error: (error as Error).message };
        if (this.#nc && !this.#nc.isClosed()) await this.#nc.close();
        this.log(`NATS at ${this.url} not reachable (${(error as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  /** Resolves once the current records are loaded; then applies updates as they come. */
  async #followPresence(kv: KV): Promise<void> {
    let loaded!: () => void;
    const initial = new Promise<void>((resolve) => (loaded = resolve));
    const watch = await kv.watch({ initializedFn: () => loaded() });
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation !== 'PUT') {
          this.#presence.delete(entry.key);
          continue;
        }
        try {
          this.#presence.set(entry.key, workerPresenceCodec.decode(entry.value));
        } catch (error) {
          this.log(`ignoring malformed presence record ${entry.key}: ${(error as Error).message}`);
        }
      }
    })();
    await initial;
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#state = { ...this.#state, connected: false };
      if (status.type === 'reconnect') this.#state = { ...this.#state, connected: true, server: nc.getServer() };
    }
    this.#state = { ...this.#state, connected: false };
  }
}
