/** The dashboard's addresses: one pure parser, one builder, so links and pages agree. */

export type Route =
  | { page: 'experiments' }
  | { page: 'experiment'; id: string }
  | { page: 'run'; id: string }
  | { page: 'architecture'; hash: string }
  | { page: 'leaderboard'; query: URLSearchParams }
  | { page: 'compare'; ids: string[]; query: URLSearchParams }
  | { page: 'study'; id: string }
  | { page: 'start-study'; experimentId: string }
  | { page: 'health' }
  | { page: 'not-found'; path: string };

/** The route of a path and query string. */
export function parseRoute(pathname: string, search = ''): Route {
  const query = new URLSearchParams(search);
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second, ...rest] = parts;
  if (parts.length === 0 || (first === 'experiments' && !second)) return { page: 'experiments' };
  if (first === 'experiments' && second && rest.length === 1 && rest[0] === 'study') {
    return { page: 'start-study', experimentId: second };
  }
  if (rest.length === 0) {
    if (first === 'experiments' && second) return { page: 'experiment', id: second };
    if (first === 'runs' && second) return { page: 'run', id: second };
    if (first === 'studies' && second) return { page: 'study', id: second };
    if (first === 'architectures' && second) return { page: 'architecture', hash: second };
    if (first === 'leaderboard' && !second) return { page: 'leaderboard', query };
    if (first === 'health' && !second) return { page: 'health' };
    if (first === 'compare' && !second) {
      const ids = (query.get('runs') ?? '').split(',').filter(Boolean);
      return { page: 'compare', ids, query };
    }
  }
  return { page: 'not-found', path: pathname };
}

/** Path of a page. */
export const paths = {
  experiments: () => '/',
  experiment: (id: string) => `/experiments/${encodeURIComponent(id)}`,
  run: (id: string) => `/runs/${encodeURIComponent(id)}`,
  study: (runId: string) => `/studies/${encodeURIComponent(runId)}`,
  startStudy: (experimentId: string) => `/experiments/${encodeURIComponent(experimentId)}/study`,
  architecture: (hash: string) => `/architectures/${encodeURIComponent(hash)}`,
  leaderboard: (params: Record<string, string> = {}) => {
    const q = new URLSearchParams(params).toString();
    return q ? `/leaderboard?${q}` : '/leaderboard';
  },
  health: () => '/health',
  compare: (ids: readonly string[]) => `/compare?runs=${ids.map(encodeURIComponent).join(',')}`,
};
