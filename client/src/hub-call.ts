/** Where a hub answers and who calls it. */
export interface HubTarget {
  /** The hub's base URL, e.g. http://localhost:4000 (its GraphQL endpoint is /graphql). */
  url: string;
  /** A team's API key (`lrnas_...`). */
  apiKey: string;
}

/**
 * A call the hub refused or could not take. `retry`: the same call may succeed later (the hub or
 * the network is down, a rate limit, a restart); otherwise the input itself is wrong (`field`
 * names it) or the run cannot take it, and sending it again changes nothing.
 */
export class HubError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retry: boolean,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** Codes of the hub's errors that a later try may not meet (schema's ErrorCode). */
const RETRYABLE_CODES = new Set(['UNAVAILABLE', 'RATE_LIMITED', 'INTERNAL']);

/** Calls the hub's GraphQL API once; a failure is a HubError saying whether to try again. */
export async function callHub<T>(
  hub: HubTarget,
  query: string,
  variables: Record<string, unknown>,
  timeoutMs = 30_000,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL('/graphql', hub.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.apiKey}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new HubError(`hub ${hub.url} unreachable (${cause})`, 'UNREACHABLE', true);
  }
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string; field?: string } }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // A proxy's error page, or a hub going away mid-answer.
    throw new HubError(`hub answered HTTP ${response.status} without JSON`, 'UNREACHABLE', response.status >= 500);
  }
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? 'INTERNAL';
    throw new HubError(error.message, code, RETRYABLE_CODES.has(code), error.extensions?.field);
  }
  if (!response.ok || body.data === undefined) {
    throw new HubError(`hub answered HTTP ${response.status}`, 'UNREACHABLE', response.status >= 500);
  }
  return body.data;
}

/** Waits before try number `attempt` (1, 2, ...): doubling from 250 ms to 15 s, with jitter. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(15_000, 250 * 2 ** Math.min(attempt - 1, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
