// GraphQL over HTTP against a real gateway: request errors (parse, validation, variable coercion,
// the cost limit) answer 200 to clients that read only application/json and 4xx to clients that
// accept application/graphql-response+json; the cost counts every field that queries storage.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { useNatsServer } from '@lrnas/local/test-nats';
import { DEFAULT_API_SETTINGS } from '../src/config.js';
import type { GatewayHandle } from '../src/index.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-graphql-http-');
let gateway: GatewayHandle;
const startDefaultGateway = async () => {
  // Default limits: the regression is about what a deployment answers out of the box.
  gateway = await startTestGateway(nats.server, { kind: 'sqlite', file: path.join(nats.dataDir, 'http.sqlite') });
};

interface Reply {
  status: number;
  contentType: string;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function post(query: string, variables: Record<string, unknown>, accept?: string): Promise<Reply> {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Reply['body'],
  };
}

const REQUEST_ERRORS: [string, string, Record<string, unknown>, RegExp][] = [
  ['a parse failure', '{ health { version }', {}, /Syntax Error/],
  ['a validation failure', '{ health { nosuchfield } }', {}, /Cannot query field "nosuchfield"/],
  ['a variable coercion failure', 'query($n: Int) { runs(first: $n) { totalCount } }', { n: 'x' }, /\$n/],
];
const LEGACY = [undefined, 'application/json', '*/*', 'application/json, application/graphql-response+json;q=0.5'];
const MODERN = ['application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9'];

describe('GraphQL over HTTP', () => {
  before(startDefaultGateway);
  after(async () => {
    await gateway?.stop();
  });

  describe('request errors', () => {
    for (const [what, query, variables, message] of REQUEST_ERRORS) {
      test(`${what}: 200 for application/json clients, 400 for application/graphql-response+json`, async () => {
        for (const accept of LEGACY) {
          const reply = await post(query, variables, accept);
          assert.equal(reply.status, 200, `Accept: ${accept}`);
          assert.match(reply.contentType, /^application\/json/);
          assert.equal(reply.body.data, undefined);
          assert.match(reply.body.errors?.[0]?.message ?? '', message);
          assert.equal(reply.body.errors?.[0]?.extensions?.code, 'BAD_INPUT');
        }
        for (const accept of MODERN) {
          const reply = await post(query, variables, accept);
          assert.equal(reply.status, 400, `Accept: ${accept}`);
          assert.match(reply.contentType, /^application\/graphql-response\+json/);
          assert.match(reply.body.errors?.[0]?.message ?? '', message);
        }
      });
    }

    test('an answered query is 200 for every client', async () => {
      for (const accept of [...LEGACY, ...MODERN]) {
        const reply = await post('{ health { status } }', {}, accept);
        assert.equal(reply.status, 200, `Accept: ${accept}`);
        assert.equal(reply.body.errors, undefined);
      }
    });
  });

  describe('operation cost', () => {
    test('300 aliased health fields (each a database round trip) are refused, naming cost and limit', async () => {
      const query = `{ ${Array.from({ length: 300 }, (_, i) => `h${i}: health { version }`).join(' ')} }`;
      const reply = await post(query, {}, 'application/graphql-response+json');
      assert.equal(reply.status, 400);
      assert.equal(reply.body.data, undefined, 'nothing ran');
      assert.equal(reply.body.errors?.[0]?.extensions?.code, 'BAD_INPUT');
      assert.match(
        reply.body.errors?.[0]?.message ?? '',
        new RegExp(`^query complexity 30300 exceeds the limit of ${DEFAULT_API_SETTINGS.maxQueryComplexity} \\(`),
      );
      // The same fields without aliases are one field: cheap, and answered.
      const plain = await post('{ health { version } workers { id } }', {}, 'application/graphql-response+json');
      assert.equal(plain.status, 200);
      // A legacy client gets the same refusal with 200.
      const legacy = await post(query, {}, 'application/json');
      assert.equal(legacy.status, 200);
      assert.match(legacy.body.errors?.[0]?.message ?? '', /query complexity 30300 exceeds the limit/);
    });

    test("the dashboard's heaviest page (100 runs, each run's evaluations) stays under the default limit", async () => {
      const reply = await post(
        `query($id: ID!) { experiment(id: $id) { id name team { name } threatModel { label }
        runs(first: 100) { totalCount pageInfo { hasNextPage endCursor }
          edges { node { id kind status architecture { hash params } evaluations { cleanAccuracy robustAccuracy } } } } } }`,
        { id: 'nosuch' },
        'application/graphql-response+json',
      );
      // Measured and let through: the experiment is simply not there.
      assert.equal(reply.body.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    });
  });
});
