/** Preact hooks around the API: queries that re-read after a reconnection, subscriptions, the route. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, request } from '../lib/api.js';
import { linkStatus, onLinkChange, subscribe, type LinkState } from '../lib/live.js';
import { parseRoute, type Route } from '../lib/route.js';

/** The live connection's state and reconnection count, re-rendering on change. */
export function useLink(): { state: LinkState; generation: number; clientEpoch: number } {
  const [status, setStatus] = useState(linkStatus);
  useEffect(() => onLinkChange(() => setStatus(linkStatus())), []);
  return status;
}

export interface QueryState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
  /** Replaces the data (for live updates). */
  set: (update: (data: T) => T) => void;
}

/** Runs a query when its variables change and again after each reconnection of the live link. */
export function useQuery<T>(query: string, variables: Record<string, unknown>, skip = false): QueryState<T> {
  const { generation } = useLink();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(!skip);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (skip) return;
    let current = true;
    setLoading(true);
    request<T>(query, variables).then(
      (d) => current && (setData(d), setError(null), setLoading(false)),
      (e: unknown) =>
        current && (setError(e instanceof ApiError ? e : new ApiError(String(e), 'INTERNAL')), setLoading(false)),
    );
    return () => {
      current = false;
    };
  }, [query, key, generation, tick, skip]);
  return {
    data,
    error,
    loading,
    reload: () => setTick((t) => t + 1),
    set: (update) => setData((d) => (d === null ? d : update(d))),
  };
}

/** Subscribes while mounted (and while `enabled`); the latest handler is always the one called. */
export function useSubscription<T>(
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => void,
  enabled = true,
): string | null {
  const [error, setError] = useState<string | null>(null);
  const handler = useRef(onData);
  handler.current = onData;
  // graphql-ws re-subscribes by itself after a reconnection; only a new client (new key) needs it here.
  const { clientEpoch } = useLink();
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (!enabled) return;
    setError(null);
    return subscribe<T>(
      query,
      variables,
      (d) => {
        setError(null);
        handler.current(d);
      },
      setError,
    );
  }, [query, key, enabled, clientEpoch]);
  return error;
}

/** The current route, following pushState navigation and the back button. */
export function useRoute(): Route {
  const read = () => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener('lrnas:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('lrnas:navigate', update);
    };
  }, []);
  return route;
}

/** Goes to a path of the dashboard without reloading the page. */
export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event('lrnas:navigate'));
  window.scrollTo(0, 0);
}
