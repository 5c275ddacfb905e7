import type { ChildProcess } from 'node:child_process';

/** An nkey user: the client's seed (SU…) and the public key (U…) the server checks it against. */
export interface NatsNkey {
  seed: string;
  publicKey: string;
}
/** An nkey per role of schema/nats/roles.json, and a user and password for cluster routes. */
export interface NatsCredentials {
  gateway: NatsNkey;
  worker: NatsNkey;
  admin: NatsNkey;
  route: { user: string; password: string };
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
