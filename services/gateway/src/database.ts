import fs from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { DatabaseTarget } from './config.js';

/** The gateway's database: MikroORM on SQLite or PostgreSQL. */
export interface Database {
  readonly kind: DatabaseTarget['kind'];
  readonly orm: MikroORM;
  isConnected(): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the database; drivers load on demand so SQLite users need no PostgreSQL client. */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  const common = { entities: [], discovery: { warnWhenNoEntities: false }, debug: false };
  let orm: MikroORM;
  if (target.kind === 'sqlite') {
    fs.mkdirSync(path.dirname(target.file), { recursive: true });
    const { MikroORM } = await import('@mikro-orm/better-sqlite');
    orm = await MikroORM.init({ ...common, dbName: target.file });
  } else {
    const { MikroORM } = await import('@mikro-orm/postgresql');
    orm = await MikroORM.init({ ...common, clientUrl: target.url });
  }
  return {
    kind: target.kind,
    orm,
    isConnected: () => orm.isConnected(),
    close: () => orm.close(),
  };
}
