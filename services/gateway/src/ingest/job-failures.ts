import type { MikroORM } from '@mikro-orm/core';
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { JOBS_CONSUMER, JOBS_STREAM, jobCodec } from '@lrnas/schema';
import { isTerminal, type RunStatusName } from '../domain/run-progress.js';
import { Run, RunStatus, RunStatusChange } from '../persistence/entities/index.js';
import { ConsumerLoop } from './consumer-loop.js';

/** JetStream's advisory when a message of the jobs consumer reached its delivery limit. */
export const MAX_DELIVERIES_ADVISORY = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${JOBS_STREAM}.${JOBS_CONSUMER}`;
/**
 * Stream that keeps the advisories: they are core NATS messages, and one published while no
 * gateway is connected would otherwise be lost, leaving its run stalled for ever. Only the
 * gateway reads it, so it is the gateway's (not in the worker contract).
 */
export const JOB_FAILURES_STREAM = 'LRNAS_JOB_FAILURES';
/** The durable consumer the gateway replicas share on it: each advisory is handled once. */
export const JOB_FAILURES_CONSUMER = 'lrnas-gateway-job-failures';

const MINUTE_NS = 60 * 1_000_000_000;

/** Creates the advisory stream and its consumer when missing (replicas as the other streams). */
export async function ensureJobFailureCapture(jsm: JetStreamManager, replicas = 1): Promise<void> {
  const exists = await jsm.streams.info(JOB_FAILURES_STREAM).then(
    () => true,
    (error: { api_error?: { code?: number } }) => {
      if (error.api_error?.code === 404) return false;
      throw error;
    },
  );
  if (!exists) {
    await jsm.streams.add({
      name: JOB_FAILURES_STREAM,
      subjects: [MAX_DELIVERIES_ADVISORY],
      // Handled advisories are removed; unhandled ones wait for a gateway (up to 30 days).
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      max_age: 30 * 24 * 60 * MINUTE_NS,
    });
  }
  await jsm.consumers.add(JOB_FAILURES_STREAM, {
    durable_name: JOB_FAILURES_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: MINUTE_NS,
    max_deliver: -1,
  });
}

/** An advisory that cannot be read; retrying will not help. */
class MalformedAdvisory extends Error {}

/**
 * Marks a run FAILED when JetStream gives up on its job: every delivery ended without an ack (the
 * workers died, timed out or refused it) up to MaxDeliver. Until then a silent run shows as
 * stalled and JetStream redelivers it (a new attempt). The job message is then removed from the
 * work queue, where nothing would take it any more. The advisories come through the durable
 * JOB_FAILURES_STREAM, so one sent while no gateway ran is handled when one starts; an advisory is
 * acknowledged only after the run is recorded.
 */
export class JobFailureWatcher extends ConsumerLoop {
  constructor(
    nc: NatsConnection,
    private readonly orm: MikroORM,
    log: (line: string) => void,
    private readonly onFailed: (run: Run) => void = () => {},
    /** Copies of the advisory stream, when this gateway creates it. */
    private readonly replicas = 1,
  ) {
    super(nc, log, 'job failure consumer');
  }

  protected async open(): Promise<ConsumerMessages> {
    await ensureJobFailureCapture(await this.nc.jetstreamManager(), this.replicas);
    const consumer = await this.nc.jetstream().consumers.get(JOB_FAILURES_STREAM, JOB_FAILURES_CONSUMER);
    return consumer.consume({ max_messages: 10 });
  }

  /** Each advisory in turn: stop() lets the one in hand finish. */
  protected async read(messages: ConsumerMessages): Promise<void> {
    for await (const message of messages) await this.#handle(message);
  }

  async #handle(message: JsMsg): Promise<void> {
    try {
      await this.#record(message.data);
      message.ack();
    } catch (error) {
      if (error instanceof MalformedAdvisory) {
        this.log(`dropping a malformed MAX_DELIVERIES advisory: ${error.message}`);
        message.term();
      } else {
        this.log(`could not record a failed job: ${(error as Error).message}; will retry`);
        message.nak(5000);
      }
    }
  }

  async #record(data: Uint8Array): Promise<void> {
    let advisory: { stream_seq?: unknown; deliveries?: unknown };
    try {
      advisory = JSON.parse(new TextDecoder().decode(data)) as typeof advisory;
    } catch (error) {
      throw new MalformedAdvisory((error as Error).message);
    }
    if (typeof advisory.stream_seq !== 'number') throw new MalformedAdvisory('advisory without stream_seq');
    const seq = advisory.stream_seq;
    const deliveries = typeof advisory.deliveries === 'number' ? advisory.deliveries : 0;
    const jsm = await this.nc.jetstreamManager();
    const stored = await jsm.streams
      .getMessage(JOBS_STREAM, { seq })
      .catch((error: { api_error?: { code?: number } }) => {
        // Gone: a replica handled this advisory already (and was stopped before its ack).
        if (error.api_error?.code === 404) return undefined;
        throw error;
      });
    if (!stored) return;
    let job;
    try {
      job = jobCodec.decode(stored.data);
    } catch (error) {
      throw new MalformedAdvisory(`job message ${seq} does not decode: ${(error as Error).message}`);
    }
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
    await jsm.streams.deleteMessage(JOBS_STREAM, seq);
    if (failed) {
      this.log(`run ${failed.id} failed: its job reached the delivery limit`);
      this.onFailed(failed);
    }
  }
}
