// Writes the GraphQL schema the resolvers define to schema/graphql/schema.graphql (checked in, so
// clients and reviewers see API changes in diffs). Run: npm run emit-schema -w @lrnas/gateway
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printSchema } from 'graphql';
import { buildGatewaySchema } from '../src/graphql/schema.js';

/** Where the checked-in schema lives. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../../schema/graphql/schema.graphql', import.meta.url));

/** The SDL text of the gateway's schema, as checked in. */
export async function printGatewaySchema(): Promise<string> {
  return `${printSchema(await buildGatewaySchema())}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  fs.writeFileSync(SCHEMA_FILE, await printGatewaySchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
