/**
 * Subscriptions over graphql-ws: one socket per page load (a new one when the API key changes),
 * reconnecting by itself. Listeners hear the connection state so the page can say when it is lost,
 * and each reconnection bumps a generation so pages re-read what they may have missed.
 */
import { createClient, type Client } from 'graphql-ws';
import { storedKey } from './api.js';

export type LinkState = 'connecting' | 'connected' | 'lost' | 'refused';

let client: Client | null = null;
let state: LinkState = 'connecting';
let generation = 0;
let clientEpoch = 0;
let everConnected = false;
const listeners = new Set<() => void>();

const notify = (): void => listeners.forEach((l) => l());

function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

function ensureClient(): Client {
  if (client) return client;
  const key = storedKey();
  client = createClient({
    url: socketUrl(),
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    // A refused key (4403) stays refused: retrying would only hammer the gateway.
    shouldRetry: (event) => !isRefusal(event),
    retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(500 * 2 ** retries, 5000))),
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    on: {
      connected: () => {
        if (everConnected) generation++;
        everConnected = true;
        state = 'connected';
        notify();
      },
      closed: (event) => {
        state = isRefusal(event) ? 'refused' : everConnected ? 'lost' : 'connecting';
        notify();
      },
      error: () => {
        state = everConnected ? 'lost' : 'connecting';
        notify();
      },
    },
  });
  return client;
}

/** The connection state and the reconnection count. */
export function linkStatus(): { state: LinkState; generation: number; clientEpoch: number } {
  ensureClient();
  return { state, generation, clientEpoch };
}

/** Calls `listener` whenever the connection state changes; returns the unsubscribe. */
export function onLinkChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Drops the socket and opens one with the current API key. */
export function resetLink(): void {
  const old = client;
  client = null;
  everConnected = false;
  state = 'connecting';
  void old?.dispose();
  ensureClient();
  generation++;
  clientEpoch++;
  notify();
}

/** Subscribes; `onData` gets each result's data, `onError` an explanation. Returns the unsubscribe. */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  onError: (message: string) => void,
): () => void {
  return ensureClient().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors.map((e) => e.message).join('; '));
        else if (result.data) onData(result.data as T);
      },
      error: (error) => onError(error instanceof Error ? error.message : describeClose(error)),
      complete: () => {},
    },
  );
}

function isRefusal(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'code' in event && (event as { code: number }).code === 4403;
}

function describeClose(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    const close = error as { code: number; reason?: string };
    if (close.code === 4403) return 'the API key was refused for live updates';
    return `live connection closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`;
  }
  return 'live connection failed';
}
