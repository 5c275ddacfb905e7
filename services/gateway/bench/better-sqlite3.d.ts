// The parts of better-sqlite3 and pg the benchmark's baselines use (they come with
// @mikro-orm/better-sqlite and @mikro-orm/postgresql, without type declarations).
declare module 'better-sqlite3' {
  interface Statement {
    run(...values: unknown[]): unknown;
  }
  interface Connection {
    exec(sql: string): void;
    pragma(source: string): unknown;
    prepare(sql: string): Statement;
    transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
    close(): void;
  }
  const Database: new (file: string) => Connection;
  export default Database;
}

declare module 'pg' {
  interface Client {
    connect(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
    end(): Promise<void>;
  }
  const pg: { Client: new (options: { connectionString: string }) => Client };
  export default pg;
}
