/**
 * Per-job event authentication. Every worker login may publish on every run's event subjects (a
 * NATS permission cannot name runs that do not exist yet), so the bus alone cannot tell the worker
 * that holds a run's job from any other holder of a worker login. The gateway therefore gives each
 * run a random key, sends it only in the header of the run's job message (never in its body, which
 * is stored as the run's config and shown to users), and the worker that received the job signs
 * each event with it (HMAC-SHA256 over the message bytes, in a header). The gateway stores an event
 * only when that signature checks out with the run's key.
 *
 * Workers can read the events stream (to resume a run), which is why the key never travels in an
 * event: a signature does not reveal it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Header of a job message that carries its run's event key. */
export const EVENT_KEY_HEADER = 'Lrnas-Event-Key';
/** Header of an event message that carries its signature. */
export const EVENT_SIGNATURE_HEADER = 'Lrnas-Event-Signature';

/** A key is 32 random bytes, base64url: 43 characters. */
const KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new random event key for a run. */
export function newEventKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `key` has the shape of an event key (a job header from a stranger may hold anything). */
export function isEventKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}

/** The signature of an event message's bytes under its run's key (base64url HMAC-SHA256). */
export function signEvent(key: string, data: Uint8Array): string {
  return createHmac('sha256', key).update(data).digest('base64url');
}

/** Whether `signature` is `data`'s under `key`, compared in constant time. */
export function isSignedBy(key: string, data: Uint8Array, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signEvent(key, data), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
