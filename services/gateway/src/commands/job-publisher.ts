import type { NatsConnection } from 'nats';
import { ErrorCode, LrnasError, cancelSubject, jobCodec, jobSubject, type Job } from '@lrnas/schema';
import type { NatsLink } from '../nats-link.js';

/** The NATS connection, or UNAVAILABLE: a change that must reach the workers is refused while NATS is down. */
export function requireNats(nats: NatsLink): NatsConnection {
  const nc = nats.connection;
  if (!nc || !nats.state().connected) {
    throw new LrnasError(ErrorCode.UNAVAILABLE, 'NATS is not reachable; nothing was changed, try again shortly');
  }
  return nc;
}

/**
 * Publishes a job to the work queue with its run id as `Nats-Msg-Id`: JetStream drops a second
 * publish of the same run within the stream's duplicate window, so a retried start never
 * launches two jobs. Returns whether JetStream saw it as a duplicate.
 */
export async function publishJob(nc: NatsConnection, job: Job): Promise<{ duplicate: boolean }> {
  try {
    const ack = await nc.jetstream().publish(jobSubject(job.kind), jobCodec.encode(job), { msgID: job.runId });
    return { duplicate: ack.duplicate };
  } catch (error) {
    throw new LrnasError(
      ErrorCode.UNAVAILABLE,
      `run ${job.runId} is stored as QUEUED but its job could not be published (${(error as Error).message}); start it again with runId "${job.runId}" to retry`,
      { cause: error },
    );
  }
}

/**
 * Tells the worker running `runId` to stop, on the run's control subject (names.ts). Core NATS,
 * not JetStream: only a worker running the job listens. A job still waiting in the queue does
 * not hear it; its run is CANCELLED in the database all the same, and whatever that job reports
 * later no longer changes the run's status (a finished run stays finished).
 */
export async function publishCancel(nc: NatsConnection, runId: string, reason: string): Promise<void> {
  const body = { v: 1, runId, reason, requestedAt: new Date().toISOString() };
  nc.publish(cancelSubject(runId), new TextEncoder().encode(JSON.stringify(body)));
  await nc.flush();
}
