import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';

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

/** A file of a run to upload: where it is, the name it gets on the hub, what it is. */
export interface ArtifactFile {
  path: string;
  name: string;
  kind: 'checkpoint' | 'weights' | 'genotype' | 'report';
}

/**
 * Uploads a file of a run (PUT /artifacts/<run>), streamed from disk with its SHA-256, which the
 * hub checks before it records the file. A refusal is a HubError like a GraphQL call's.
 */
export async function uploadToHub(hub: HubTarget, runId: string, file: ArtifactFile): Promise<void> {
  let size: number;
  let checksum: string;
  try {
    size = (await fs.promises.stat(file.path)).size;
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file.path)) hash.update(chunk as Buffer);
    checksum = hash.digest('hex');
  } catch (error) {
    throw new HubError(`artifact ${file.path}: ${(error as Error).message}`, 'BAD_INPUT', false, 'path');
  }
  const url = new URL(`/artifacts/${encodeURIComponent(runId)}`, hub.url);
  url.searchParams.set('name', file.name);
  url.searchParams.set('kind', file.kind);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${hub.apiKey}`,
        'content-length': String(size),
        'x-checksum-sha256': checksum,
      },
      body: Readable.toWeb(fs.createReadStream(file.path)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new HubError(`hub ${hub.url} unreachable (${cause})`, 'UNREACHABLE', true);
  }
  if (response.ok) return;
  const answer = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; field?: string };
  };
  const code = answer.error?.code ?? 'UNREACHABLE';
  throw new HubError(
    answer.error?.message ?? `hub answered HTTP ${response.status}`,
    code,
    response.status >= 500 || response.status === 429 || RETRYABLE_CODES.has(code),
    answer.error?.field,
  );
}

/** Waits before try number `attempt` (1, 2, ...): doubling from 250 ms to 15 s, with jitter. */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(15_000, 250 * 2 ** Math.min(attempt - 1, 10));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
