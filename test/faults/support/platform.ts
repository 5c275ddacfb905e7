// The platform a user starts, as real processes on loopback, for fault injection: one nats-server on
// fixed ports (so that a restarted one is the same server to its clients), the gateway and the workers
// as processes of their own (so that SIGKILL is the real thing), SQLite or a private PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import {
  apiSettings,
  evaluateConfigSchema,
  JOBS_CONSUMER,
  JOBS_STREAM,
  TERMINAL_RUN_STATUSES,
  type RunEvent,
} from '@lrnas/schema';
import { ensureTopology, loginOptions } from '@lrnas/schema/nats';
import {
  newNatsCredentials,
  startNatsServer,
  type NatsCredentials,
  type NatsServerHandle,
} from '@lrnas/local/nats-server';
import { natsLogin, natsLoginEnv, natsLoginFlags } from '@lrnas/local/test-nats';
import { freePort, waitForHttp } from '@lrnas/local/ports';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { readRunHistory } from '../../../services/worker/src/run-history.js';
import { startPipelineInput, tinyPipelineJob, type TinyPipelineSize } from '@lrnas/test-kit/tiny-jobs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KEY = 'fault-suite-key-0123456789abcdefghijklmnop';
export const TERMINAL: readonly string[] = TERMINAL_RUN_STATUSES;

/** A service run as `node --import tsx <entry>`, which can be killed and started again as it was. */
export class ServiceProcess {
  child!: ChildProcess;
  readonly output: string[] = [];
  exited!: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.start();
  }

  /** Starts the process (again). */
  start(): void {
    this.child = spawn(process.execPath, ['--import', 'tsx', this.entry, ...this.args], {
      cwd: root,
      // It ends with the test process, whatever happens to the test.
      env: { ...process.env, ...this.env, LRNAS_PARENT_PID: String(process.pid) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child = this.child;
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }

  tail(chars = 2500): string {
    return `--- ${this.name}\n${this.output.join('').slice(-chars)}`;
  }
}

export interface PlatformOptions {
  database?: 'sqlite' | 'postgres';
  /** The job consumer's AckWait: short, so that a lost job comes back within seconds. */
  ackWaitMs?: number;
}

/** What a run's stored metrics hold against what its worker produced. */
export interface Accounting {
  runId: string;
  status: string;
  attempts: number;
  /** Metric points the run must have: every step of every key its attempts published. */
  expected: number;
  stored: number;
  lost: number;
  duplicated: number;
}

interface RunView {
  id: string;
  status: string;
  attempts: number;
  metricKeys: string[];
  lastEventAt: string | null;
  statusHistory: { status: string; attempt: number }[];
  evaluations: { attack: string }[];
}

/** nats-server, gateway and workers on loopback, with a GraphQL client and a NATS client for the test. */
export class Platform {
  /** The API key of the platform's team. */
  readonly key = KEY;
  readonly workers: ServiceProcess[] = [];
  gateway!: ServiceProcess;
  nats!: NatsServerHandle;
  nc!: NatsConnection;
  pg: PostgresHandle | undefined;
  url = '';
  experimentId = '';
  #natsPorts!: { port: number; monitorPort: number };
  #credentials: NatsCredentials | undefined;
  #databaseUrl = '';

  private constructor(readonly dir: string) {}

  static async start(name: string, options: PlatformOptions = {}): Promise<Platform> {
    const platform = new Platform(fs.mkdtempSync(path.join(os.tmpdir(), `lrnas-fault-${name}-`)));
    await platform.#start(options);
    return platform;
  }

  async #start(options: PlatformOptions): Promise<void> {
    this.#natsPorts = { port: await freePort(), monitorPort: await freePort() };
    await this.startNats();
    const admin = natsLogin(this.nats, 'admin');
    this.nc = await connect({
      servers: this.nats.url,
      ...loginOptions(admin),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    const jsm = await this.nc.jetstreamManager();
    await ensureTopology(jsm);
    if (options.ackWaitMs) {
      await jsm.consumers.update(JOBS_STREAM, JOBS_CONSUMER, { ack_wait: options.ackWaitMs * 1_000_000 });
    }
    if (options.database === 'postgres') {
      this.pg = await startPostgres();
      this.#databaseUrl = this.pg.url;
    } else {
      this.#databaseUrl = `sqlite:${path.join(this.dir, 'lrnas.sqlite')}`;
    }
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.gateway = new ServiceProcess('gateway', 'services/gateway/src/main.ts', [], {
      PORT: String(port),
      HOST: '127.0.0.1',
      NATS_URL: this.nats.url,
      ...natsLoginEnv(this.nats, 'gateway'),
      DATABASE_URL: this.#databaseUrl,
      LRNAS_BOOTSTRAP_KEY: KEY,
      // The test polls the API; the per-key limit is not what is under test here.
      LRNAS_RATE_LIMIT: '100000',
    });
    await this.gatewayReady();
    const { createExperiment } = await this.query<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "faults", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 1000000 }) { id } }',
    );
    this.experimentId = createExperiment.id;
  }

  /** Starts nats-server on the platform's ports, data directory and logins (again, after a stop). */
  async startNats(): Promise<void> {
    this.#credentials ??= newNatsCredentials();
    this.nats = await startNatsServer({
      dataDir: path.join(this.dir, 'nats'),
      ...this.#natsPorts,
      credentials: this.#credentials,
    });
  }

  /**
   * Resolves once the gateway answers and says it is up (after a start or restart): `/healthz` answers
   * before the gateway has reached NATS, and a start mutation meanwhile is refused as UNAVAILABLE.
   */
  async gatewayReady(ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    await waitForHttp(`${this.url}/healthz`, ms, () => this.gateway.running).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.gateway.tail()}`);
    });
    for (;;) {
      const answer = await gql<{ health: { status: string } }>(this.url, '{ health { status } }').catch(
        () => undefined,
      );
      if (answer?.data?.health.status === 'ok') return;
      if (Date.now() > deadline) throw new Error(`the gateway did not report ok\n${this.gateway.tail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Starts a worker process with its own id and work folder. */
  startWorker(id: string): ServiceProcess {
    const worker = new ServiceProcess(
      id,
      'services/worker/src/main.ts',
      [
        ...['--nats-url', this.nats.url, ...natsLoginFlags(this.nats, 'worker'), '--id', id, '--data-dir', this.dir],
        ...['--work-dir', path.join(this.dir, 'work', id), '--metrics-port', '0'],
      ],
      {},
    );
    this.workers.push(worker);
    return worker;
  }

  async query<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    return ok(await gql<T>(this.url, query, variables, KEY));
  }

  /**
   * Starts a tiny pipeline through the API with the client-chosen `runId`; `evaluate` (in the
   * contract's words) replaces its evaluation settings. Returns the run's id on the bus (its event subjects' token), which the
   * gateway derives from the team and `runId`.
   */
  async startPipeline(runId: string, size: TinyPipelineSize = {}, evaluate?: Record<string, unknown>): Promise<string> {
    const job = tinyPipelineJob(runId, size);
    const { startPipeline } = await this.query<{ startPipeline: { id: string } }>(
      `mutation($input: StartPipelineInput!) { startPipeline(input: $input) { id } }`,
      {
        input: {
          ...startPipelineInput(job, this.experimentId),
          ...(evaluate && { testLimit: 96, evaluate: apiSettings(evaluateConfigSchema, evaluate) }),
        },
      },
    );
    return startPipeline.id;
  }

  async run(runId: string): Promise<RunView> {
    const { run } = await this.query<{ run: RunView }>(
      `query($id: ID!) { run(id: $id) { id status attempts metricKeys lastEventAt statusHistory { status attempt } evaluations { attack } } }`,
      { id: runId },
    );
    return run;
  }

  /** Waits until every run is in a terminal state, and returns them. */
  async terminal(runIds: string[], ms = 300_000): Promise<RunView[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const runs = await Promise.all(runIds.map((id) => this.run(id)));
      if (runs.every((r) => TERMINAL.includes(r.status))) return runs;
      if (Date.now() > deadline) {
        throw new Error(`runs not finished: ${JSON.stringify(runs.map((r) => [r.id, r.status]))}\n${this.tails()}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Everything the attempts of the run with bus id `busId` stored in the events stream, in stream order. */
  async streamEvents(busId: string): Promise<RunEvent[]> {
    return readRunHistory(this.nc.jetstream(), busId);
  }

  /**
   * The run's stored metric points against the points its attempts published (read from the events
   * stream, the record of what workers produced): lost = published (key, step) pairs not stored,
   * duplicated = stored points beyond one per (key, step).
   */
  async account(runId: string): Promise<Accounting> {
    const run = await this.run(runId);
    const published = publishedPoints(await this.streamEvents(run.id));
    const { metricSeries } = await this.query<{
      metricSeries: { key: string; totalPoints: number; points: { step: number }[] }[];
    }>(
      `query($id: ID!, $keys: [String!]) { metricSeries(runId: $id, keys: $keys, maxPoints: 10000) { key totalPoints points { step } } }`,
      {
        id: runId,
        keys: run.metricKeys,
      },
    );
    let expected = 0;
    let stored = 0;
    let lost = 0;
    let duplicated = 0;
    for (const [key, steps] of published) {
      const series = metricSeries.find((s) => s.key === key);
      const storedSteps = series?.points.map((p) => p.step) ?? [];
      const distinct = new Set(storedSteps);
      expected += steps.size;
      stored += storedSteps.length;
      lost += [...steps].filter((step) => !distinct.has(step)).length;
      duplicated += storedSteps.length - distinct.size + Math.max(0, (series?.totalPoints ?? 0) - storedSteps.length);
    }
    return { runId, status: run.status, attempts: run.attempts, expected, stored, lost, duplicated };
  }

  tails(): string {
    return [this.gateway, ...this.workers].map((p) => p.tail()).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.kill('SIGKILL')));
    await this.gateway?.kill('SIGKILL');
    await this.nc?.close().catch(() => undefined);
    await this.nats?.stop();
    await this.pg?.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every (key, step) the run's attempts published as metric points or epoch summaries. */
export function publishedPoints(events: RunEvent[]): Map<string, Set<number>> {
  const points = new Map<string, Set<number>>();
  const add = (key: string, step: number) => points.set(key, (points.get(key) ?? new Set()).add(step));
  for (const event of events) {
    if (event.type === 'metric') for (const p of event.points) add(p.key, p.step);
    if (event.type === 'epoch') for (const key of Object.keys(event.metrics)) add(key, event.epoch);
  }
  return points;
}

/** Steps 1..n of a key, as the run must have them whatever happened to it. */
export function stepsOf(points: Map<string, Set<number>>, key: string): number[] {
  return [...(points.get(key) ?? [])].sort((a, b) => a - b);
}
