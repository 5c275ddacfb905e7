import type { JetStreamClient } from 'nats';
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, eventCodec, type RunEvent } from '@lrnas/schema';

/** How long reading a run's history may wait for the next stored event before giving up. */
const READ_IDLE_MS = 5000;

/**
 * Reads every event earlier deliveries of a run stored, in stream order, through an ephemeral
 * ordered consumer. Events that no longer decode (an older contract) are skipped: they cannot be
 * repeated by this version anyway.
 */
export async function readRunHistory(js: JetStreamClient, runId: string): Promise<RunEvent[]> {
  const consumer = await js.consumers.get(EVENTS_STREAM, { filterSubjects: `${EVENTS_SUBJECT_PREFIX}.${runId}.>` });
  const { num_pending: pending } = await consumer.info(true);
  if (pending === 0) return [];
  const events: RunEvent[] = [];
  let complete = false;
  const messages = await consumer.consume({ idle_heartbeat: 1000, expires: READ_IDLE_MS });
  const stall = setTimeout(() => messages.stop(new Error(`reading the events of run ${runId} stalled`)), READ_IDLE_MS);
  try {
    for await (const message of messages) {
      stall.refresh();
      try {
        events.push(eventCodec.decode(message.data));
      } catch {
        // Skipped, see above.
      }
      if (message.info.pending === 0) {
        complete = true;
        break;
      }
    }
  } finally {
    clearTimeout(stall);
    messages.stop();
  }
  if (!complete) throw new Error(`reading the events of run ${runId} stopped after ${events.length} of ${pending}`);
  return events;
}
