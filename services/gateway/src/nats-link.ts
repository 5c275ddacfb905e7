import { connect, type KV, type NatsConnection } from 'nats';
import {
  PRESENCE_TTL_MS,
  WORKERS_BUCKET,
  workerPresenceCodec,
  type WorkerPresence,
} from '@lrnas/schema';
import { ensureTopology } from '@lrnas/schema/nats';

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
  #workers?: KV;
  #state: NatsState = { connected: false, jetStream: false };
  #closing = false;
  readonly ready: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly log: (line: string) => void,
  ) {
    this.ready = this.#connect();
  }

  state(): NatsState {
    return { ...this.#state };
  }

  /** Workers whose presence record is fresh, ordered by id. */
  async workers(now = Date.now()): Promise<WorkerPresence[]> {
    const kv = this.#workers;
    if (!kv || !this.#state.connected) return [];
    const found: WorkerPresence[] = [];
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (!entry || entry.operation !== 'PUT') continue;
      try {
        const presence = workerPresenceCodec.decode(entry.value);
        if (now - Date.parse(presence.seenAt) <= PRESENCE_TTL_MS) found.push(presence);
      } catch (error) {
        this.log(`ignoring malformed presence record ${key}: ${(error as Error).message}`);
      }
    }
    return found.sort((a, b) => a.workerId.localeCompare(b.workerId));
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.ready.catch(() => undefined);
    if (this.#nc && !this.#nc.isClosed()) await this.#nc.drain();
  }

  async #connect(): Promise<void> {
    while (!this.#closing) {
      try {
        const nc = await connect({ servers: this.url, name: 'lrnas-gateway', maxReconnectAttempts: -1 });
        this.#nc = nc;
        await ensureTopology(await nc.jetstreamManager());
        this.#workers = await nc.jetstream().views.kv(WORKERS_BUCKET, { ttl: PRESENCE_TTL_MS, history: 1 });
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

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#state = { ...this.#state, connected: false };
      if (status.type === 'reconnect') this.#state = { ...this.#state, connected: true, server: nc.getServer() };
    }
    this.#state = { ...this.#state, connected: false };
  }
}
