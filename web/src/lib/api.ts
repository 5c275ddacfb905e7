/** GraphQL over HTTP to the gateway that served the page, with the API key kept in the browser. */

const KEY_STORAGE = 'lrnas.apiKey';

/** The API key stored in this browser, or null (read-only). */
export function storedKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/** Stores (or, with null, forgets) the API key. */
export function storeKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

export interface GraphQLErrorItem {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** A failed request: the gateway's errors (with code and field) or why it could not be reached. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly errors: GraphQLErrorItem[] = [],
    readonly status = 0,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Sends a GraphQL operation; throws an ApiError naming what went wrong. */
export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const key = storedKey();
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`cannot reach the gateway (${(error as Error).message})`, 'NETWORK');
  }
  let body: { data?: T; errors?: GraphQLErrorItem[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(`the gateway answered HTTP ${response.status} with no JSON`, 'NETWORK', [], response.status);
  }
  if (body.errors?.length) {
    const first = body.errors[0]!;
    const code = first.extensions?.code ?? 'INTERNAL';
    const hint = response.status === 401 ? ' (the stored API key was refused: change or remove it)' : '';
    throw new ApiError(body.errors.map((e) => e.message).join('; ') + hint, code, body.errors, response.status);
  }
  if (!body.data) throw new ApiError(`the gateway answered HTTP ${response.status} without data`, 'INTERNAL');
  return body.data;
}

/** The URL of a run's artifact on the gateway. */
export function artifactUrl(runId: string, name: string): string {
  return `/artifacts/${encodeURIComponent(runId)}?name=${encodeURIComponent(name)}`;
}

/**
 * Downloads a run's artifact with the stored key (a plain link could not send it) and hands it to
 * the browser as a file; throws an ApiError with the gateway's reason.
 */
export async function downloadArtifact(runId: string, name: string): Promise<void> {
  const key = storedKey();
  let response: Response;
  try {
    response = await fetch(artifactUrl(runId, name), { headers: key ? { authorization: `Bearer ${key}` } : {} });
  } catch (error) {
    throw new ApiError(`cannot reach the gateway (${(error as Error).message})`, 'NETWORK');
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(
      body?.error?.message ?? `HTTP ${response.status}`,
      body?.error?.code ?? 'INTERNAL',
      [],
      response.status,
    );
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name.split('/').pop() ?? name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
