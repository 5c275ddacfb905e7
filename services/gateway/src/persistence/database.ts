import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationObject, MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './entities/index.js';
import type { DatabaseTarget } from '../config.js';

/** The gateway's database: MikroORM on SQLite or PostgreSQL. */
export interface Database {
  readonly kind: DatabaseTarget['kind'];
  readonly orm: MikroORM;
  isConnected(): Promise<boolean>;
  close(): Promise<void>;
}

/** Where the generated migrations of each dialect live (one set per SQL dialect). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Opens the database and brings its schema up to date with the migrations; drivers load on demand
 * so SQLite users need no PostgreSQL client. `migrate: false` leaves the schema as it is (for the
 * migration generator).
 */
export async function openDatabase(target: DatabaseTarget, options: { migrate?: boolean } = {}): Promise<Database> {
  const migrationsList = (await import(`./migrations/${target.kind}/index.js`)).MIGRATIONS as MigrationObject[];
  const common = {
    entities: ENTITIES,
    debug: false,
    extensions: [Migrator],
    migrations: {
      path: path.join(MIGRATIONS_DIR, target.kind),
      migrationsList,
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
  };
  let orm: MikroORM;
  if (target.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(target.file), { recursive: true });
    const { MikroORM } = await import('@mikro-orm/better-sqlite');
    orm = await MikroORM.init({ ...common, dbName: target.file });
    // Write-ahead log: a commit appends to the log and syncs it once (a rollback journal is created,
    // synced and deleted per transaction, which cost ingestion of one-event batches half its time),
    // and readers no longer wait for a writer. Durability is unchanged (synchronous stays FULL).
    await orm.em.getConnection().execute('pragma journal_mode = wal', [], 'all');
  } else {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    orm = await MikroORM.init({ ...common, clientUrl: target.url });
  }
  if (options.migrate !== false) {
    try {
      await orm.getMigrator().up();
    } catch (error) {
      await orm.close();
      throw error;
    }
  }
  return {
    kind: target.kind,
    orm,
    isConnected: () => orm.isConnected(),
    close: () => orm.close(),
  };
}
