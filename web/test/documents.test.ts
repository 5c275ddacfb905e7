// The dashboard's GraphQL documents, validated against the SDL the gateway emits
// (schema/graphql/schema.graphql, kept equal to the resolvers by the gateway's tests): a renamed field
// or enum value fails here, before a browser shows an error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import * as health from '../src/health-view.js';
import * as queries from '../src/lib/queries.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OPERATION = /^\s*(query|mutation|subscription)\b/;

/** The modules that hold the dashboard's documents, by path under web/src. */
const MODULES: Record<string, Record<string, unknown>> = {
  'lib/queries.ts': queries,
  'health-view.ts': health,
};

test("every GraphQL document of the dashboard is valid against the gateway's emitted schema", () => {
  const schema = buildSchema(fs.readFileSync(path.join(root, 'schema', 'graphql', 'schema.graphql'), 'utf8'));
  const documents = Object.entries(MODULES).flatMap(([file, module]) =>
    Object.entries(module)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && OPERATION.test(entry[1]))
      .map(([name, text]) => ({ name: `${file} ${name}`, text })),
  );
  assert.ok(documents.length >= 20, `found ${documents.length} documents`);
  for (const { name, text } of documents) {
    const errors = validate(schema, parse(text));
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
      name,
    );
  }
});

test('the documents live in the modules this test reads', () => {
  const elsewhere: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.includes('.test.')) {
        const relative = path
          .relative(path.join(root, 'web', 'src'), full)
          .split(path.sep)
          .join('/');
        if (relative in MODULES) continue;
        if (/`\s*(query|mutation|subscription)\b/.test(fs.readFileSync(full, 'utf8'))) elsewhere.push(relative);
      }
    }
  };
  walk(path.join(root, 'web', 'src'));
  assert.deepEqual(elsewhere, [], 'move these documents to lib/queries.ts');
});
