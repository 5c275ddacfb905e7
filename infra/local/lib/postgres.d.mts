export interface PostgresHandle {
  url: string;
  port: number;
  halt(graceMs?: number): Promise<void>;
  resume(): Promise<void>;
  stop(graceMs?: number): Promise<void>;
}
export function ensurePostgres(log?: (line: string) => void): string;
export function startPostgres(options?: { log?: (line: string) => void }): Promise<PostgresHandle>;
