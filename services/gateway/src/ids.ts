import { createHash, randomBytes } from 'node:crypto';

/**
 * A new random id such as `run_3kTq0y6bV1x_Zp2M`: 96 random bits in base64url, which only uses
 * characters allowed in NATS subject tokens, so a run id can name its event subjects.
 */
export function newId(prefix: 'team' | 'key' | 'exp' | 'run'): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/**
 * The run id (job message id, event subject token) of the run a team names `clientId`:
 * `run_` and 132 bits of SHA-256 over team and client id, in base64url. Each team has its own space
 * of client ids: two teams choosing the same one get two runs, and no answer depends on what
 * other teams chose. A retry by the same team lands on the same id, so starts stay idempotent.
 * Random ids (`newId`) are shorter, so the two never meet.
 */
export function teamRunId(teamId: string, clientId: string): string {
  const digest = createHash('sha256').update(`lrnas-run\u0000${teamId}\u0000${clientId}`).digest('base64url');
  return `run_${digest.slice(0, 22)}`;
}
