export interface PostgresHandle {
  url: string;
  port: number;
  stop(graceMs?: number): Promise<void>;
}
export function ensurePostgres(log?: (line: string) => void): string;
export function startPostgres(options?: { log?: (line: string) => void }): Promise<PostgresHandle>;
