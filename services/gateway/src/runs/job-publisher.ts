import { headers, type NatsConnection } from 'nats';
import { ErrorCode, LrnasError, cancelSubject, jobCodec, jobSubject, type Job } from '@lrnas/schema';
import { EVENT_KEY_HEADER } from '@lrnas/schema/node';
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
 *
 * The run's event key travels in a header, not in the job (whose body is the run's stored,
 * user-visible config): only the worker that receives the job can sign the run's events.
 */
export async function publishJob(nc: NatsConnection, job: Job, eventKey: string): Promise<{ duplicate: boolean }> {
  try {
    const keyed = headers();
    keyed.set(EVENT_KEY_HEADER, eventKey);
    const ack = await nc
      .jetstream()
      .publish(jobSubject(job.kind), jobCodec.encode(job), { msgID: job.runId, headers: keyed });
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
 * Tells the worker running `runId` to stop, on the run's control subject (names.ts, core NATS:
 * only a worker running the job listens), and records the request in the cancels bucket, where
 * the worker that picks up a job still waiting in the queue finds it and drops the job. The run
 * is CANCELLED in the database either way, and whatever its job reports later no longer changes
 * its status (a finished run stays finished).
 */
export async function publishCancel(nats: NatsLink, runId: string, reason: string): Promise<void> {
  const nc = requireNats(nats);
  const cancels = nats.buckets?.cancels;
  if (!cancels) throw new LrnasError(ErrorCode.UNAVAILABLE, 'NATS is not reachable; try again shortly');
  const body = new TextEncoder().encode(JSON.stringify({ v: 1, runId, reason, requestedAt: new Date().toISOString() }));
  await cancels.put(runId, body);
  nc.publish(cancelSubject(runId), body);
  await nc.flush();
}
