import type { ChildProcess } from 'node:child_process';

export interface NatsServerHandle {
  url: string;
  monitorUrl: string;
  pid: number | undefined;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}

export function ensureNatsServer(log?: (line: string) => void): string;
export function startNatsServer(options: {
  dataDir: string;
  port?: number;
  monitorPort?: number;
  log?: (line: string) => void;
  output?: 'ignore' | 'inherit';
  detached?: boolean;
  cluster?: { name: string; clusterName?: string; port: number; routes: string[] };
}): Promise<NatsServerHandle>;
