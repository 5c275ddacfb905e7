import type { MikroORM } from '@mikro-orm/core';
import type { NatsConnection, Subscription } from 'nats';
import { JOBS_CONSUMER, JOBS_STREAM, jobCodec } from '@lrnas/schema';
import { isTerminal, type RunStatusName } from '../domain/run-progress.js';
import { Run, RunStatus, RunStatusChange } from '../persistence/entities/index.js';

/** JetStream's advisory when a message of the jobs consumer reached its delivery limit. */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.${JOBS_CONSUMER}`;

/**
 * Marks a run FAILED when JetStream gives up on its job: every delivery ended without an ack (the
 * workers died, timed out or refused it) up to MaxDeliver. Until then a silent run shows as
 * stalled and JetStream redelivers it (a new attempt). The job message is then removed from the
 * work queue, where nothing would take it any more. Every replica listens; the first to
 * commit wins and the others find the run already finished.
 */
export class JobFailureWatcher {
  #subscription?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly orm: MikroORM,
    private readonly log: (line: string) => void,
    private readonly onFailed: (run: Run) => void = () => {},
  ) {}

  start(): void {
    this.#subscription = this.nc.subscribe(MAX_DELIVERIES_ADVISORY, {
      callback: (error, message) => {
        if (error) return;
        void this.#handle(message.data).catch((cause: unknown) =>
          this.log(`could not record a failed job: ${(cause as Error).message}`),
        );
      },
    });
  }

  stop(): void {
    this.#subscription?.unsubscribe();
  }

  async #handle(data: Uint8Array): Promise<void> {
    const advisory = JSON.parse(new TextDecoder().decode(data)) as { stream_seq?: unknown; deliveries?: unknown };
    if (typeof advisory.stream_seq !== 'number') throw new Error('advisory without stream_seq');
    const deliveries = typeof advisory.deliveries === 'number' ? advisory.deliveries : 0;
    const jsm = await this.nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(JOBS_STREAM, { seq: advisory.stream_seq });
    const job = jobCodec.decode(stored.data);
    const failed = await this.orm.em.fork().transactional(async (em) => {
      const run = await em.findOne(Run, { id: job.runId }, { populate: ['experiment'] });
      if (!run || isTerminal(run.status as RunStatusName)) return undefined;
      const now = new Date();
      const lastError = run.error?.code === 'ATTEMPT_FAILED' ? `; the last error: ${run.error.message}` : '';
      const message = `the job was delivered ${deliveries} times and never finished (workers died, timed out or refused it)${lastError}`;
      run.status = RunStatus.FAILED;
      run.finishedAt = now;
      run.error = { code: 'MAX_DELIVERIES', message };
      em.create(RunStatusChange, {
        run,
        status: RunStatus.FAILED,
        stage: run.stage,
        attempt: deliveries,
        at: now,
        message,
      });
      return run;
    });
    await jsm.streams.deleteMessage(JOBS_STREAM, advisory.stream_seq);
    if (failed) {
      this.log(`run ${failed.id} failed: its job reached the delivery limit`);
      this.onFailed(failed);
    }
  }
}
