import type { ChildProcess } from 'node:child_process';

/** A user and password of nats-server's authorization block. */
export interface NatsLogin {
  user: string;
  password: string;
}
/** One login per role of schema/nats/roles.json, and one for cluster routes. */
export interface NatsCredentials {
  gateway: NatsLogin;
  worker: NatsLogin;
  admin: NatsLogin;
  route: NatsLogin;
}

export interface NatsServerHandle {
  url: string;
  credentials: NatsCredentials;
  monitorUrl: string;
  pid: number | undefined;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

export function ensureNatsServer(log?: (line: string) => void): string;
export function newNatsCredentials(): NatsCredentials;
export function startNatsServer(options: {
  dataDir: string;
  port?: number;
  monitorPort?: number;
  log?: (line: string) => void;
  output?: 'ignore' | 'inherit';
  detached?: boolean;
  cluster?: { name: string; clusterName?: string; port: number; routes: string[] };
  credentials?: NatsCredentials;
}): Promise<NatsServerHandle>;
