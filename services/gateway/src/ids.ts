import { randomBytes } from 'node:crypto';

/**
 * A new random id such as `run_3kTq0y6bV1x_Zp2M`: 96 random bits in base64url, which only uses
 * characters allowed in NATS subject tokens, so a run id can name its event subjects.
 */
export function newId(prefix: 'team' | 'key' | 'exp' | 'run'): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
