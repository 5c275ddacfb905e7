/**
 * Per-caller limits shared by the gateway replicas, pure: the request rate as a sliding-window
 * counter, and the number of open subscriptions as one count per replica with a heartbeat time.
 * The adapter (auth/shared-limits.ts) keeps this state in NATS KV with revision-checked updates.
 */

/** Length of a rate window: the limit is per minute. */
export const RATE_WINDOW_MS = 60_000;

/** The window `now` falls in, and how far into it (0 to 1). */
export function rateWindow(now: number): { index: number; elapsed: number } {
  return { index: Math.floor(now / RATE_WINDOW_MS), elapsed: (now % RATE_WINDOW_MS) / RATE_WINDOW_MS };
}

/**
 * Whether one more request fits under `perMinute`, given the requests counted in the previous and
 * the current window: the previous window weighs by the part of it still inside the last minute
 * (a sliding-window estimate, so a burst cannot double at a window boundary). Refused: the
 * milliseconds until one would fit.
 */
export function rateDecision(
  perMinute: number,
  previous: number,
  current: number,
  elapsed: number,
): { allowed: true } | { allowed: false; retryAfterMs: number } {
  const estimate = previous * (1 - elapsed) + current;
  if (estimate + 1 <= perMinute) return { allowed: true };
  const room = perMinute - 1 - current;
  // Later in this window, once enough of the previous one has slid out...
  if (room >= 0 && previous > 0) {
    const at = 1 - room / previous;
    return { allowed: false, retryAfterMs: untilFraction(at - elapsed) };
  }
  // ...or in the next window, once enough of this one has.
  const at = current > 0 ? Math.max(0, 1 - (perMinute - 1) / current) : 0;
  return { allowed: false, retryAfterMs: untilFraction(1 - elapsed + at) };
}

/** Milliseconds for a fraction of a window, at least 1 (rounded first: 0.3 - 0.25 is not 0.05). */
function untilFraction(fraction: number): number {
  return Math.max(1, Math.ceil(Math.round(fraction * RATE_WINDOW_MS * 1000) / 1000));
}

/** Open subscriptions of one caller: per replica, its count and when it last confirmed it (ms). */
export type SubscriptionTally = Record<string, { count: number; at: number }>;

/**
 * The tally without the replicas that stopped confirming (crashed, cut off) for longer than
 * `ttlMs`, or that hold none: a dead replica's subscriptions stop counting on their own.
 */
export function liveTally(tally: SubscriptionTally, now: number, ttlMs: number): SubscriptionTally {
  return Object.fromEntries(Object.entries(tally).filter(([, r]) => r.count > 0 && now - r.at <= ttlMs));
}

/** Subscriptions open across the live replicas. */
export function openSubscriptions(tally: SubscriptionTally): number {
  return Object.values(tally).reduce((sum, r) => sum + r.count, 0);
}

/** Reads a stored tally, dropping entries that are not {count, at} numbers (a boundary: NATS). */
export function decodeTally(bytes: Uint8Array): SubscriptionTally {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const tally: SubscriptionTally = {};
  for (const [replica, value] of Object.entries(parsed)) {
    const { count, at } = (value ?? {}) as { count?: unknown; at?: unknown };
    if (typeof count === 'number' && typeof at === 'number') tally[replica] = { count, at };
  }
  return tally;
}
