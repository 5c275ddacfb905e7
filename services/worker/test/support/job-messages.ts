import { headers, type JetStreamPublishOptions } from 'nats';
import { EVENT_KEY_HEADER, newEventKey } from '@lrnas/schema/node';

/**
 * Publish options of a job message as the gateway sends it: the run id as message id and the run's
 * event key in the header (without one the worker refuses the job, as its events could not be signed).
 */
export function jobMessageOptions(runId: string, eventKey = newEventKey()): Partial<JetStreamPublishOptions> {
  const h = headers();
  h.set(EVENT_KEY_HEADER, eventKey);
  return { msgID: runId, headers: h };
}
