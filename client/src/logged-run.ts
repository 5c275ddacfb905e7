import path from 'node:path';
import { backoffMs, callHub, HubError, uploadToHub, type ArtifactFile, type HubTarget } from './hub-call.js';
import { FINISH_RUN, HEARTBEAT, LOG_ARCHITECTURE, LOG_EVALUATION, LOG_METRICS, LOG_STAGE } from './operations.js';
import type { FinalStatus, MetricPoint, Spool, SpoolEntry } from './spool.js';
import { whileRunsLive } from './exit-flush.js';

/** Settings of a run's sending. */
export interface SendOptions {
  /** How long points wait to be batched before they are sent, in ms (default 1,000). */
  batchMs: number;
  /** A sign of life goes to the hub when nothing else has for this long, in ms (default 30,000). */
  heartbeatMs: number;
  /** Told of what could not be sent for good (the hub refused it), and of each failed try. */
  onError: (error: HubError, what: string) => void;
}

/** The hub's limit of points per logMetrics call. */
const MAX_POINTS_PER_CALL = 10_000;
const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]{0,127}$/;
const MAX_STEP = 2 ** 31 - 1;

/**
 * A run on the hub that this program logs. `log()` returns at once: the points are on disk in the
 * run's spool when it does, and a background sender batches them to the hub, retrying with backoff
 * through outages; `finish()` (and process exit, SIGINT and SIGTERM) sends what is left.
 */
export class LoggedRun {
  /** Entries not acknowledged yet, oldest first; `#base` is the spool index of the first. */
  #queue: SpoolEntry[];
  #base: number;
  #timer?: NodeJS.Timeout;
  #sending?: Promise<void>;
  #waiters: (() => void)[] = [];
  #lastContact = Date.now();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #release: () => void;
  #finished: boolean;

  constructor(
    private readonly hub: HubTarget,
    private readonly spool: Spool,
    private readonly options: SendOptions,
  ) {
    this.#base = spool.acknowledged();
    this.#queue = spool.unsent();
    // A spool left by a program that had finished its run but not sent it all.
    this.#finished = this.#queue.some((entry) => entry.t === 'finish');
    this.#heartbeat = setInterval(() => void this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
    this.#release = whileRunsLive(this);
    if (this.#queue.length > 0) this.#schedule(0);
  }

  /** The hub's id of the run (its page is /runs/<id> on the dashboard). */
  get id(): string {
    return this.spool.header.id;
  }

  /** The id this program chose for the run (createRun's runId). */
  get runId(): string {
    return this.spool.header.runId;
  }

  /** Entries logged and not yet acknowledged by the hub. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Whether finish() was called (by this program or the one that left the spool). */
  get finished(): boolean {
    return this.#finished;
  }

  /** Where the run's entries wait until the hub has them. */
  get spoolDir(): string {
    return this.spool.dir;
  }

  /**
   * Logs metric values at a step (e.g. `run.log({ 'train/loss': 0.31, 'train/acc': 0.9 }, step)`).
   * Returns at once; a value that is not finite is stored as diverged (null). Throws a TypeError
   * naming the step or key that is wrong, and logs nothing then.
   */
  log(metrics: Record<string, number>, step: number, time: Date = new Date()): void {
    this.#open('log');
    if (!Number.isInteger(step) || step < 0 || step > MAX_STEP) {
      throw new TypeError(`step must be a whole number from 0 to ${MAX_STEP}, got ${step}`);
    }
    const entries = Object.entries(metrics);
    if (entries.length === 0) throw new TypeError('log at least one metric');
    if (entries.length > MAX_POINTS_PER_CALL) throw new TypeError(`at most ${MAX_POINTS_PER_CALL} metrics per step`);
    const points: MetricPoint[] = entries.map(([key, value]) => {
      if (!KEY_PATTERN.test(key)) {
        throw new TypeError(
          `metric key ${JSON.stringify(key)} must start with a letter and hold at most 128 letters, digits and _ . : / -`,
        );
      }
      if (typeof value !== 'number') throw new TypeError(`metric ${key} must be a number, got ${typeof value}`);
      return { key, step, value: Number.isFinite(value) ? value : null, time: time.toISOString() };
    });
    this.#add({ t: 'points', points });
    const queued = this.#queue.reduce((n, e) => n + (e.t === 'points' ? e.points.length : 0), 0);
    this.#schedule(queued >= MAX_POINTS_PER_CALL ? 0 : this.options.batchMs);
  }

  /** Logs the architecture the run found or trained; resolves once the hub has it (after what was logged before). */
  async logArchitecture(input: {
    genotype: unknown;
    network: { channels: number; layers: number; classes: number; inputChannels: number; imageSize: number };
    params: number;
    flops?: number;
  }): Promise<void> {
    this.#open('logArchitecture');
    this.#add({ t: 'architecture', input });
    await this.flush();
  }

  /** Logs a result under attack of the run's architecture; resolves once the hub has it. */
  async logEvaluation(input: {
    attack: { name: string; steps?: number; stepSize?: number; restarts?: number };
    threatModel?: { norm: string; epsilon: number };
    examples: number;
    seed?: number;
    cleanAccuracy: number;
    robustAccuracy: number;
    backend?: string;
    engineVersion?: string;
  }): Promise<void> {
    this.#open('logEvaluation');
    this.#add({ t: 'evaluation', input });
    await this.flush();
  }

  /** Says which stage the run entered (search, select, train, evaluate); returns at once, sent in order. */
  stage(stage: string): void {
    this.#open('stage');
    this.#add({ t: 'stage', stage });
    this.#schedule(0);
  }

  /**
   * Uploads a file of the run (a checkpoint, the weights, a report) after what was logged before;
   * resolves once the hub has it. The file is read when its turn comes (after a crash: on the next
   * start or `lrnas sync`), so keep it until then.
   */
  async uploadArtifact(filePath: string, options: { name?: string; kind?: ArtifactFile['kind'] } = {}): Promise<void> {
    this.#open('uploadArtifact');
    const name = options.name ?? path.basename(filePath);
    this.#add({ t: 'artifact', file: { path: path.resolve(filePath), name, kind: options.kind ?? 'checkpoint' } });
    await this.flush();
  }

  /** Ends the run after everything logged before; resolves once the hub has all of it. */
  async finish(status: FinalStatus = 'SUCCEEDED', error?: string): Promise<void> {
    this.#open('finish');
    this.#add({ t: 'finish', status, ...(error !== undefined ? { error } : {}) });
    this.#finished = true;
    await this.flush();
  }

  /**
   * Sends what is queued now and resolves once the hub has acknowledged all of it; with a
   * `timeoutMs`, resolves false if it had not by then (what is left stays in the spool).
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    if (this.#queue.length === 0) return true;
    const drained = new Promise<true>((resolve) => this.#waiters.push(() => resolve(true)));
    this.#schedule(0);
    if (timeoutMs === undefined) return drained;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([drained, late]);
    clearTimeout(timer);
    return result;
  }

  #open(action: string): void {
    if (this.#finished) throw new Error(`run ${this.runId} is finished; ${action} takes nothing more`);
  }

  #add(entry: SpoolEntry): void {
    this.spool.append(entry);
    this.#queue.push(entry);
  }

  /** Starts the sender in `ms` unless it runs or is due sooner. */
  #schedule(ms: number): void {
    if (this.#sending) return;
    if (this.#timer && ms > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sending = this.#drain().finally(() => {
        this.#sending = undefined;
        if (this.#queue.length > 0) this.#schedule(this.options.batchMs);
      });
    }, ms);
  }

  /** Sends the queue in order, a batch at a time, until it is empty. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const count = this.#batchSize();
      const batch = this.#queue.slice(0, count);
      await this.#sendWithRetries(batch);
      this.#queue.splice(0, count);
      this.#base += count;
      this.spool.acknowledge(this.#base);
      this.#lastContact = Date.now();
    }
    for (const resolve of this.#waiters.splice(0)) resolve();
    if (this.#finished) this.#close();
  }

  /** Consecutive points entries up to the per-call limit, or one entry of another kind. */
  #batchSize(): number {
    if (this.#queue[0]!.t !== 'points') return 1;
    let points = 0;
    let count = 0;
    for (const entry of this.#queue) {
      if (entry.t !== 'points' || points + entry.points.length > MAX_POINTS_PER_CALL) break;
      points += entry.points.length;
      count += 1;
    }
    return Math.max(count, 1);
  }

  /** Sends a batch until the hub takes it; one it refuses for good is reported and dropped. */
  async #sendWithRetries(batch: SpoolEntry[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#send(batch);
        return;
      } catch (error) {
        const failure = error instanceof HubError ? error : new HubError((error as Error).message, 'UNREACHABLE', true);
        const what = batch[0]!.t === 'points' ? `${batch.length} batches of points` : batch[0]!.t;
        this.options.onError(failure, what);
        if (!failure.retry) return;
        // Not holding the program: at its end, exit-flush.ts decides how long to wait for the hub.
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)).unref());
      }
    }
  }

  async #send(batch: SpoolEntry[]): Promise<void> {
    const entry = batch[0]!;
    const runId = this.id;
    switch (entry.t) {
      case 'points':
        await callHub(this.hub, LOG_METRICS, {
          runId,
          points: batch.flatMap((e) => (e.t === 'points' ? e.points : [])),
        });
        return;
      case 'architecture':
        await callHub(this.hub, LOG_ARCHITECTURE, { runId, input: entry.input });
        return;
      case 'evaluation':
        await callHub(this.hub, LOG_EVALUATION, { runId, input: entry.input });
        return;
      case 'artifact':
        await uploadToHub(this.hub, runId, entry.file);
        return;
      case 'stage':
        await callHub(this.hub, LOG_STAGE, { runId, stage: entry.stage });
        return;
      case 'finish':
        await callHub(this.hub, FINISH_RUN, { runId, status: entry.status, error: entry.error ?? null });
        return;
    }
  }

  /** Tells the hub the program is alive when nothing else has lately. */
  async #beat(): Promise<void> {
    if (this.#finished || Date.now() - this.#lastContact < this.options.heartbeatMs / 2) return;
    try {
      await callHub(this.hub, HEARTBEAT, { runId: this.id });
      this.#lastContact = Date.now();
    } catch {
      // The next beat or batch tries again; a batch's own retries report the outage.
    }
  }

  /** Stops sending for this run in this program; what is unsent stays in the spool. */
  stop(): void {
    clearTimeout(this.#timer);
    clearInterval(this.#heartbeat);
    this.spool.close();
    this.#release();
  }

  /** The run ended and the hub has all of it: the spool goes. */
  #close(): void {
    clearInterval(this.#heartbeat);
    this.spool.close(true);
    this.#release();
  }
}
