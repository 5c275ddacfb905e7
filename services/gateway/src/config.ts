import path from 'node:path';
import { ContractError, natsServers } from '@lrnas/schema';
import { loginFromEnv, type NatsLogin } from '@lrnas/schema/nats';

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgresql'; url: string };

/** Everything the gateway is told at start, validated. */
export interface GatewayConfig {
  port: number;
  host: string;
  database: DatabaseTarget;
  /** NATS server URL, or several separated by commas (a cluster). */
  natsUrl: string;
  /** Copies of each stream and bucket the gateway creates: 1, or 3 on a three-node JetStream cluster. */
  natsReplicas?: number;
  /** Who the gateway is to NATS (the `gateway` role's user where the server asks for one). */
  natsLogin?: NatsLogin;
  /** Built dashboard to serve at `/`, if any. */
  webDist?: string;
  /** Access rules and limits of the API; unset fields take DEFAULT_API_SETTINGS. */
  api?: Partial<ApiSettings>;
  /**
   * How long a finished run keeps its checkpoints in the object store, in ms; 0 keeps them forever.
   * Default DEFAULT_CHECKPOINT_RETENTION_MS.
   */
  checkpointRetentionMs?: number;
  /** How often the checkpoint sweep runs, in ms; default sweepInterval(retention). */
  checkpointSweepMs?: number;
  /**
   * How long a logged run's client may stay silent before the run is marked lost (FAILED, code
   * LOST), in ms. Default DEFAULT_LOST_RUN_TIMEOUT_MS.
   */
  lostRunTimeoutMs?: number;
  /** How often the lost-run sweep runs, in ms; default a quarter of the timeout, at most 30 s. */
  lostRunSweepMs?: number;
  /**
   * How many times (a second apart) an event of an attempt not seen starting is handed back before
   * it is refused; default UNSTARTED_DEFERRALS (past the event consumer's AckWait). Tests shorten it.
   */
  unstartedEventDeferrals?: number;
  /** Where Prometheus metrics are served; by default nowhere (they count private runs). */
  metrics?: MetricsAccess;
}

/**
 * Who may scrape /metrics: a listener of its own (a port the operator keeps inside the cluster)
 * and/or a bearer token on the API port. Neither set: /metrics is not served.
 */
export interface MetricsAccess {
  /** Port of a listener that serves only /metrics (0: any free port). */
  port?: number;
  /** Address that listener binds; default the gateway's host. */
  host?: string;
  /** `Authorization: Bearer <token>` opens /metrics on the API port. */
  token?: string;
}

/** Finished runs' checkpoints are deleted a week after the run ended, unless set otherwise. */
export const DEFAULT_CHECKPOINT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Access rules and limits of the GraphQL API. */
export interface ApiSettings {
  /** Whether callers without an API key may read the leaderboard and Pareto front. */
  publicLeaderboard: boolean;
  /** Requests per minute per API key (anonymous callers: per address), across the replicas. */
  rateLimitPerMinute: number;
  /** Subscriptions open at once per API key (anonymous callers: per address), across the replicas. */
  maxSubscriptionsPerKey: number;
  /** Deepest selection nesting a query may have. */
  maxQueryDepth: number;
  /** Highest estimated cost of a query (fields, multiplied by the page sizes of lists). */
  maxQueryComplexity: number;
  /**
   * An artifact download fails when the object store delivers no chunk for this long (ms): the
   * NATS client's read never ends by itself when a node goes away.
   */
  artifactStallMs: number;
  /** Largest file a logged run's client may upload (PUT /artifacts/:runId), in bytes. */
  maxArtifactBytes: number;
  /** On an empty database: the first team's API key (LRNAS_BOOTSTRAP_KEY) and its team's name. */
  bootstrapKey?: string;
  bootstrapTeam: string;
}

export const DEFAULT_API_SETTINGS: ApiSettings = {
  publicLeaderboard: true,
  rateLimitPerMinute: 600,
  maxSubscriptionsPerKey: 100,
  maxQueryDepth: 10,
  maxQueryComplexity: 20_000,
  artifactStallMs: 30_000,
  maxArtifactBytes: 1024 ** 3,
  bootstrapTeam: 'default',
};

/** Reads the environment; throws a ContractError naming the bad variable. */
export function parseGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const portText = env.PORT ?? '4000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ContractError('PORT', `must be a port number from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  natsServers(natsUrl, 'NATS_URL');
  const replicasText = env.LRNAS_NATS_REPLICAS ?? '1';
  const natsReplicas = Number(replicasText);
  if (!Number.isInteger(natsReplicas) || natsReplicas < 1 || natsReplicas > 5) {
    throw new ContractError(
      'LRNAS_NATS_REPLICAS',
      `must be a whole number from 1 to 5, got ${JSON.stringify(replicasText)}`,
    );
  }
  const natsLogin = loginFromEnv(env);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    database: parseDatabaseUrl(
      env.DATABASE_URL ?? `sqlite:${path.join(env.LRNAS_DATA_DIR ?? '.lrnas', 'lrnas.sqlite')}`,
    ),
    natsUrl,
    natsReplicas,
    natsLogin,
    checkpointRetentionMs: parseDuration('LRNAS_CHECKPOINT_RETENTION', env.LRNAS_CHECKPOINT_RETENTION || '7d'),
    lostRunTimeoutMs: parseDuration('LRNAS_LOST_RUN_TIMEOUT', env.LRNAS_LOST_RUN_TIMEOUT || '5m'),
    ...(env.LRNAS_WEB_DIST ? { webDist: env.LRNAS_WEB_DIST } : {}),
    api: parseApiSettings(env),
    metrics: parseMetricsAccess(env),
  };
}

function parseMetricsAccess(env: NodeJS.ProcessEnv): MetricsAccess {
  const access: MetricsAccess = {};
  const portText = env.LRNAS_METRICS_PORT;
  if (portText !== undefined && portText !== '') {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ContractError(
        'LRNAS_METRICS_PORT',
        `must be a port number from 0 to 65535, got ${JSON.stringify(portText)}`,
      );
    }
    access.port = port;
  }
  if (env.LRNAS_METRICS_HOST) access.host = env.LRNAS_METRICS_HOST;
  const token = env.LRNAS_METRICS_TOKEN;
  if (token !== undefined && token !== '') {
    // Same shape as LRNAS_BOOTSTRAP_KEY: long enough that it cannot be guessed, safe in a header.
    if (!/^[A-Za-z0-9_-]{32,200}$/.test(token)) {
      throw new ContractError(
        'LRNAS_METRICS_TOKEN',
        'must be 32 to 200 letters, digits, _ or - (e.g. openssl rand -base64 32 | tr "+/" "-_" | tr -d "=")',
      );
    }
    access.token = token;
  }
  return access;
}

function parseApiSettings(env: NodeJS.ProcessEnv): ApiSettings {
  const whole = (name: string, fallback: number, min: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new ContractError(name, `must be a whole number of at least ${min}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  const board = env.LRNAS_PUBLIC_LEADERBOARD ?? 'true';
  if (!['true', 'false', '1', '0'].includes(board)) {
    throw new ContractError('LRNAS_PUBLIC_LEADERBOARD', `must be true or false, got ${JSON.stringify(board)}`);
  }
  return {
    publicLeaderboard: board === 'true' || board === '1',
    rateLimitPerMinute: whole('LRNAS_RATE_LIMIT', DEFAULT_API_SETTINGS.rateLimitPerMinute, 1),
    maxSubscriptionsPerKey: whole('LRNAS_MAX_SUBSCRIPTIONS', DEFAULT_API_SETTINGS.maxSubscriptionsPerKey, 1),
    maxQueryDepth: whole('LRNAS_MAX_QUERY_DEPTH', DEFAULT_API_SETTINGS.maxQueryDepth, 2),
    maxQueryComplexity: whole('LRNAS_MAX_QUERY_COMPLEXITY', DEFAULT_API_SETTINGS.maxQueryComplexity, 10),
    artifactStallMs: positive(
      'LRNAS_ARTIFACT_STALL_TIMEOUT',
      parseDuration('LRNAS_ARTIFACT_STALL_TIMEOUT', env.LRNAS_ARTIFACT_STALL_TIMEOUT || '30s'),
    ),
    maxArtifactBytes: whole('LRNAS_MAX_ARTIFACT_BYTES', DEFAULT_API_SETTINGS.maxArtifactBytes, 1),
    bootstrapTeam: env.LRNAS_BOOTSTRAP_TEAM || DEFAULT_API_SETTINGS.bootstrapTeam,
    ...(env.LRNAS_BOOTSTRAP_KEY ? { bootstrapKey: env.LRNAS_BOOTSTRAP_KEY } : {}),
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration setting such as `30s`, `15m`, `12h`, `7d` or `0`, in ms; throws a ContractError naming
 * `field` for anything else (a bare number other than 0 is refused: its unit would be a guess).
 */
export function parseDuration(field: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (text.trim() === '0') return 0;
  if (!match) {
    throw new ContractError(
      field,
      `must be a duration such as 30s, 15m, 12h or 7d (or 0), got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(Number(match[1]) * DURATION_UNITS[match[2]!]!);
}

function positive(field: string, ms: number): number {
  if (ms <= 0) throw new ContractError(field, 'must be longer than 0');
  return ms;
}

/** `sqlite:PATH` (or `sqlite://PATH`, `file:PATH`) or `postgres[ql]://...`. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const sqlite = /^(?:sqlite:(?:\/\/)?|file:)(.+)$/.exec(url);
  if (sqlite) return { kind: 'sqlite', file: path.resolve(sqlite[1]!) };
  if (/^postgres(?:ql)?:\/\/\S+$/.test(url)) return { kind: 'postgresql', url };
  throw new ContractError(
    'DATABASE_URL',
    `must be sqlite:PATH or postgres://user:password@host:5432/db, got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//***@'))}`,
  );
}
