import assert from 'node:assert/strict';
import { test } from 'node:test';
import { responseMediaType } from './http-status.js';

test('Accept negotiation picks the response media type as GraphQL over HTTP clients send it', () => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['application/json', 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['application/graphql-response+json, application/json;q=0.9', 'application/graphql-response+json'],
    ['application/json, application/graphql-response+json', 'application/json'],
    ['application/graphql-response+json, application/json', 'application/graphql-response+json'],
    ['application/json;q=0.5, application/graphql-response+json', 'application/graphql-response+json'],
    ['application/graphql-response+json, */*;q=0.8', 'application/graphql-response+json'],
    ['text/html', undefined],
    ['application/json;q=0', undefined],
  ];
  for (const [accept, expected] of cases) assert.equal(responseMediaType(accept), expected, String(accept));
});
