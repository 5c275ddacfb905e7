// Creates a team and its first API key, and prints the key (the only time it is shown).
// Run: npm run create-team -w @lrnas/gateway -- --name "my lab"   (DATABASE_URL / LRNAS_DATA_DIR as for the gateway)
import { parseArgs } from 'node:util';
import { LrnasError } from '@lrnas/schema';
import { createTeamWithKey } from './auth/bootstrap.js';
import { parseGatewayConfig } from './config.js';
import { openDatabase } from './persistence/database.js';

const USAGE = 'usage: npm run create-team -w @lrnas/gateway -- --name NAME';

async function main(): Promise<number> {
  let name: string | undefined;
  try {
    ({
      values: { name },
    } = parseArgs({ options: { name: { type: 'string' } }, strict: true }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!name) {
    console.error(`--name is required\n${USAGE}`);
    return 2;
  }
  // npm runs workspace scripts in the workspace's directory; relative paths (the default
  // .lrnas data directory) mean the directory npm was started from, as for `npm start`.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  const db = await openDatabase(parseGatewayConfig(process.env).database);
  try {
    const { team, key } = await createTeamWithKey(db.orm.em.fork(), name);
    console.log(`created team ${JSON.stringify(team.name)} (${team.id})`);
    console.log('API key (shown once; send it as "Authorization: Bearer <key>"):');
    console.log(key);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof LrnasError ? error.message : error);
    process.exit(error instanceof LrnasError ? 2 : 1);
  },
);
