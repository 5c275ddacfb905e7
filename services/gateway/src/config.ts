import path from 'node:path';
import { ContractError } from '@lrnas/schema';

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgresql'; url: string };

/** Everything the gateway is told at start, validated. */
export interface GatewayConfig {
  port: number;
  host: string;
  database: DatabaseTarget;
  natsUrl: string;
  /** Built dashboard to serve at `/`, if any. */
  webDist?: string;
}

/** Reads the environment; throws a ContractError naming the bad variable. */
export function parseGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const portText = env.PORT ?? '4000';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ContractError('PORT', `must be a port number from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const natsUrl = env.NATS_URL ?? 'nats://127.0.0.1:4222';
  if (!/^(nats|tls|wss?):\/\/[^\s]+$/.test(natsUrl)) {
    throw new ContractError('NATS_URL', `must look like nats://host:4222, got ${JSON.stringify(natsUrl)}`);
  }
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    database: parseDatabaseUrl(
      env.DATABASE_URL ?? `sqlite:${path.join(env.LRNAS_DATA_DIR ?? '.lrnas', 'lrnas.sqlite')}`,
    ),
    natsUrl,
    ...(env.LRNAS_WEB_DIST ? { webDist: env.LRNAS_WEB_DIST } : {}),
  };
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
