import type { MikroORM } from '@mikro-orm/core';
import { Run, RunSource, RunStatus, RunStatusChange } from '../persistence/entities/index.js';

/** A logged run whose client has been silent this long is lost, unless told otherwise. */
export const DEFAULT_LOST_RUN_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Marks logged runs whose client went silent (no points, no heartbeat) for longer than the timeout
 * as FAILED with error code LOST, so a killed script's run does not stay RUNNING forever. A client
 * cannot reach a gateway that is down, so silence counts only once this gateway has been up for a
 * whole timeout: a restart never loses the runs whose clients were retrying meanwhile. Every
 * replica sweeps; the update is conditional, so a run is marked once.
 */
export class LostRunSweeper {
  #timer?: NodeJS.Timeout;
  #running?: Promise<unknown>;

  constructor(
    private readonly orm: MikroORM,
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
    /** Called with the runs marked lost (live updates to subscribers). */
    private readonly onLost: (runs: { runId: string; experimentId: string }[]) => void = () => {},
    /** Since when the gateway has been reachable (its start). */
    private readonly upSince = new Date(),
  ) {}

  /** Sweeps every `intervalMs` (a quarter of the timeout, at most 30 s, by default); a timeout of 0 never. */
  start(intervalMs = Math.min(this.timeoutMs / 4, 30_000)): void {
    if (this.timeoutMs <= 0) return;
    const tick = () => {
      this.#running ??= this.sweep()
        .catch((error: unknown) => this.log(`lost-run sweep failed: ${(error as Error).message}`))
        .finally(() => (this.#running = undefined));
    };
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One sweep; resolves to the runs marked lost. */
  async sweep(now = new Date()): Promise<string[]> {
    if (now.getTime() - this.upSince.getTime() < this.timeoutMs) return [];
    const cutoff = new Date(now.getTime() - this.timeoutMs);
    const em = this.orm.em.fork();
    const silent = await em.find(
      Run,
      { source: { $ne: RunSource.WORKER }, status: RunStatus.RUNNING, lastEventAt: { $lt: cutoff } },
      { populate: ['experiment'], limit: 500 },
    );
    const lost: Run[] = [];
    const seconds = Math.round(this.timeoutMs / 1000);
    const message = `its client sent nothing for ${seconds} s (LRNAS_LOST_RUN_TIMEOUT); it stopped or lost the hub`;
    for (const run of silent) {
      // Only if it is still running and silent: its client may have spoken since the read.
      const marked = await em.nativeUpdate(
        Run,
        { id: run.id, status: RunStatus.RUNNING, lastEventAt: { $lt: cutoff } },
        { status: RunStatus.FAILED, finishedAt: now, error: { code: 'LOST', message } },
      );
      if (marked === 0) continue;
      em.create(RunStatusChange, { run, status: RunStatus.FAILED, attempt: run.lastAttempt, at: now, message });
      lost.push(run);
    }
    await em.flush();
    if (lost.length > 0) {
      this.log(`marked ${lost.length} logged run(s) lost: ${lost.map((r) => r.id).join(', ')}`);
      this.onLost(lost.map((r) => ({ runId: r.id, experimentId: r.experiment.id })));
    }
    return lost.map((r) => r.id);
  }
}
