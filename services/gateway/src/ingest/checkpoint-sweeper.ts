import type { MikroORM } from '@mikro-orm/core';
import { checkpointCutoff, RETAINED_KIND } from '../domain/retention.js';
import { TERMINAL_STATUSES } from '../domain/run-progress.js';
import type { NatsLink } from '../nats-link.js';
import { Artifact, type RunStatus } from '../persistence/entities/index.js';

/** Artifacts handled per database query, so a first sweep over a large backlog stays bounded. */
const BATCH = 200;

/**
 * Deletes the checkpoints of runs that ended longer than the retention ago: the object from the
 * artifact store first, then its row (so the run's artifact list shows it gone). Every replica
 * sweeps; deleting an object or row twice is harmless, and one deleted from the store but not yet
 * from the table is deleted again on the next sweep.
 */
export class CheckpointSweeper {
  #timer?: NodeJS.Timeout;
  #running?: Promise<unknown>;

  constructor(
    private readonly orm: MikroORM,
    private readonly nats: NatsLink,
    private readonly retentionMs: number,
    private readonly log: (line: string) => void,
    /** Called with the runs whose artifact lists changed (live updates to subscribers). */
    private readonly onSwept: (runs: { runId: string; experimentId: string }[]) => void = () => {},
  ) {}

  /** Sweeps now, then every `intervalMs`; does nothing when checkpoints are kept forever. */
  start(intervalMs: number): void {
    if (this.retentionMs <= 0) return;
    const tick = () => {
      this.#running ??= this.sweep()
        .catch((error: unknown) => this.log(`checkpoint sweep failed: ${(error as Error).message}`))
        .finally(() => (this.#running = undefined));
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One sweep; resolves to the number of checkpoints deleted. */
  async sweep(now = new Date()): Promise<number> {
    const cutoff = checkpointCutoff(now, this.retentionMs);
    const store = this.nats.buckets?.artifacts;
    if (!cutoff || !store) return 0;
    let deleted = 0;
    for (;;) {
      const em = this.orm.em.fork();
      const expired = await em.find(
        Artifact,
        {
          kind: RETAINED_KIND,
          run: { status: { $in: TERMINAL_STATUSES as RunStatus[] }, finishedAt: { $lt: cutoff } },
        },
        { populate: ['run'], orderBy: { id: 'asc' }, limit: BATCH },
      );
      if (expired.length === 0) break;
      for (const artifact of expired) {
        await store.delete(artifact.name);
        em.remove(artifact);
      }
      await em.flush();
      deleted += expired.length;
      const runs = new Map(expired.map((a) => [a.run.id, a.run.experiment.id]));
      this.onSwept([...runs].map(([runId, experimentId]) => ({ runId, experimentId })));
      if (expired.length < BATCH) break;
    }
    if (deleted > 0) this.log(`deleted ${deleted} checkpoints of runs that ended before ${cutoff.toISOString()}`);
    return deleted;
  }
}
