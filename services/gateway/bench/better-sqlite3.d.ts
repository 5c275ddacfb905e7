// The part of better-sqlite3 the benchmark's baseline uses (it comes with @mikro-orm/better-sqlite,
// without type declarations).
declare module 'better-sqlite3' {
  interface Statement {
    run(...values: unknown[]): unknown;
  }
  interface Connection {
    exec(sql: string): void;
    prepare(sql: string): Statement;
    transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
    close(): void;
  }
  const Database: new (file: string) => Connection;
  export default Database;
}
