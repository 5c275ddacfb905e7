// The per-caller limits hold across gateway replicas: two gateways on one PostgreSQL and one
// nats-server share the request rate and the count of open subscriptions through NATS KV; a
// subscription is released when it completes or its socket closes, and the count of a replica
// that stopped confirming (a crashed one) stops counting.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import type { KV } from 'nats';
import WebSocket from 'ws';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { callerKey, SUBSCRIPTION_TTL_MS, SUBSCRIPTIONS_BUCKET } from '../src/auth/shared-limits.js';
import { parseDatabaseUrl } from '../src/config.js';
import { RATE_WINDOW_MS } from '../src/domain/quota.js';
import type { GatewayHandle } from '../src/gateway.js';
import { ApiKey, Visibility } from '../src/persistence/entities/index.js';
import { createRunFixture } from './support/fixtures.js';
import { gql } from '@lrnas/test-kit/graphql';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-shared-limits-');
const RATE = 10;
const MAX_SUBSCRIPTIONS = 3;
let pg: PostgresHandle;
let first: GatewayHandle;
let second: GatewayHandle;
let experimentId: string;
const clients: Client[] = [];

const newKey = async (name: string) => {
  const em = first.db.orm.em.fork();
  const { key, team } = await createTeamWithKey(em, name);
  const { id } = await em.findOneOrFail(ApiKey, { team });
  return { key, keyId: id };
};

function connect(gateway: GatewayHandle, key: string): Client {
  const client = createClient({
    url: gateway.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
  clients.push(client);
  return client;
}

/**
 * Opens a subscription: resolves to its unsubscribe function once the gateway has it active, or to
 * the error it was refused with.
 */
async function open(gateway: GatewayHandle, client: Client): Promise<(() => void) | { code: string; message: string }> {
  const before = gateway.live.listeners;
  let refused: { code: string; message: string } | undefined;
  const unsubscribe = client.subscribe(
    { query: `subscription { runUpdated(experimentId: "${experimentId}") { id } }` },
    {
      next: () => {},
      error: (errors) => {
        const [error] = errors as { message: string; extensions?: { code?: string } }[];
        refused = { code: String(error?.extensions?.code), message: String(error?.message) };
      },
      complete: () => {},
    },
  );
  const giveUp = Date.now() + 15_000;
  while (!refused && gateway.live.listeners === before && Date.now() < giveUp) {
    await new Promise((r) => setTimeout(r, 20));
  }
  if (refused) return refused;
  assert.notEqual(gateway.live.listeners, before, 'the subscription became active');
  return unsubscribe;
}

/** Opens a subscription, retrying while a release elsewhere may still be on its way. */
async function openEventually(gateway: GatewayHandle, client: Client): Promise<() => void> {
  const giveUp = Date.now() + 15_000;
  for (;;) {
    const result = await open(gateway, client);
    if (typeof result === 'function') return result;
    if (Date.now() > giveUp) assert.fail(`still refused: ${result.message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('two gateway replicas', () => {
  before(async () => {
    pg = await startPostgres();
    const start = () =>
      startTestGateway(nats.server, parseDatabaseUrl(pg.url), {
        api: { rateLimitPerMinute: RATE, maxSubscriptionsPerKey: MAX_SUBSCRIPTIONS },
      });
    first = await start();
    second = await start();
    await Promise.all([first.nats.ready, second.nats.ready]);
    const em = first.db.orm.em.fork();
    const { experiment } = await createRunFixture(em, 'limits');
    experiment.visibility = Visibility.PUBLIC;
    await em.flush();
    experimentId = experiment.id;
  });
  after(async () => {
    for (const client of clients) await client.dispose();
    await first?.stop();
    await second?.stop();
    await pg?.stop();
  });

  test('a key gets its rate in all, not per replica; 429 from either, other keys unaffected', async () => {
    const { key } = await newKey('rate');
    const { key: other } = await newKey('rate-other');
    // Start well inside a minute, so the whole burst counts against one window.
    const left = RATE_WINDOW_MS - (Date.now() % RATE_WINDOW_MS);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 10));
    const statuses: number[] = [];
    for (let i = 0; i < 3 * RATE; i++) {
      const gateway = i % 2 === 0 ? first : second;
      statuses.push((await gql(gateway.url, '{ apiKeys { id } }', {}, key)).status);
    }
    assert.deepEqual(statuses.slice(0, RATE), Array<number>(RATE).fill(200));
    assert.deepEqual(statuses.slice(RATE), Array<number>(2 * RATE).fill(429), 'both replicas refuse the rest');
    const refused = await gql(second.url, '{ apiKeys { id } }', {}, key);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'RATE_LIMITED');
    assert.match(refused.errors?.[0]?.message ?? '', /rate limit of 10 requests a minute reached; retry in \d+ s/);
    for (const gateway of [first, second]) {
      assert.equal((await gql(gateway.url, '{ apiKeys { id } }', {}, other)).status, 200);
    }
  });

  test('a key holds at most its subscriptions across both replicas; closing one frees its place', async () => {
    const { key } = await newKey('subscriber');
    const onFirst = connect(first, key);
    const onSecond = connect(second, key);
    const a = await open(first, onFirst);
    const b = await open(first, onFirst);
    const c = await open(second, onSecond);
    for (const opened of [a, b, c]) assert.equal(typeof opened, 'function', JSON.stringify(opened));
    for (const [gateway, client] of [
      [second, onSecond],
      [first, onFirst],
    ] as const) {
      const refused = await open(gateway, client);
      assert.equal(typeof refused, 'object');
      assert.deepEqual(refused, {
        code: 'RATE_LIMITED',
        message: `at most ${MAX_SUBSCRIPTIONS} subscriptions may be open at once per API key (or address without one); close one first`,
      });
    }
    // Completing one on the first replica makes room on the second.
    (a as () => void)();
    await openEventually(second, onSecond);
    // Closing the second replica's socket releases both of its subscriptions.
    await onSecond.dispose();
    await openEventually(first, onFirst);
    await openEventually(first, connect(first, key));
    const full = await open(second, connect(second, key));
    assert.equal(typeof full, 'object', 'three open again: the next is refused');
  });

  test('a replica that stopped confirming its subscriptions (crashed) stops counting; a live one counts', async () => {
    const kv: KV = await nats.nc.jetstream().views.kv(SUBSCRIPTIONS_BUCKET);
    const now = Date.now();
    const crashed = await newKey('after-crash');
    await kv.put(
      callerKey(`key:${crashed.keyId}`),
      JSON.stringify({ gone: { count: MAX_SUBSCRIPTIONS, at: now - 2 * SUBSCRIPTION_TTL_MS } }),
    );
    assert.equal(typeof (await open(second, connect(second, crashed.key))), 'function');
    const busy = await newKey('busy-elsewhere');
    await kv.put(callerKey(`key:${busy.keyId}`), JSON.stringify({ elsewhere: { count: MAX_SUBSCRIPTIONS, at: now } }));
    const refused = await open(first, connect(first, busy.key));
    assert.equal((refused as { code: string }).code, 'RATE_LIMITED');
  });
});
