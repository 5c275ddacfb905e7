import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@lrnas/local/nats-server';
import { startPostgres } from '@lrnas/local/postgres';
import { natsLogin } from '@lrnas/local/test-nats';
import { startWorker, type WorkerHandle } from '@lrnas/worker';
import { GATEWAY_VERSION, parseDatabaseUrl, startGateway, type GatewayHandle } from '../src/index.js';
import { printGatewaySchema, SCHEMA_FILE } from '../scripts/emit-schema.js';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { startTestGateway } from './support/test-gateway.js';

let server: NatsServerHandle;
let gateway: GatewayHandle;
let worker: WorkerHandle;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-gateway-'));
const quiet = () => {};

let key: string;

/** A GraphQL request, with `key` when given (health details need one). */
async function graphql<T>(
  url: string,
  query: string,
  apiKey?: string,
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string }[] };
}

interface HealthAnswer {
  health: {
    version: string;
    database: { kind: string; connected: boolean };
    nats: { connected: boolean; jetStream: boolean; server: string | null };
    workers: { id: string; backend: string; versions: { name: string; version: string }[] }[];
  };
}
const HEALTH =
  '{ health { version database { kind connected } nats { connected jetStream server } workers { id backend versions { name version } } } }';

before(async () => {
  server = await startNatsServer({ dataDir: path.join(dataDir, 'nats') });
  gateway = await startTestGateway(server, { kind: 'sqlite', file: path.join(dataDir, 'db.sqlite') }, {}, quiet);
  key = (await createTeamWithKey(gateway.db.orm.em.fork(), 'health')).key;
  worker = await startWorker(
    {
      natsUrl: server.url,
      natsLogin: natsLogin(server, 'worker'),
      workerId: 'gw-test-worker',
      concurrency: 1,
      dataDir,
    },
    quiet,
  );
  await eventually(workerIds, ['gw-test-worker']);
});
after(async () => {
  await worker?.stop();
  await gateway?.stop();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the health query reports version, database kind, NATS state and the connected worker', async () => {
  const { data, errors } = await graphql<HealthAnswer>(gateway.url, HEALTH, key);
  assert.equal(errors, undefined);
  const health = data!.health;
  assert.equal(health.version, GATEWAY_VERSION);
  assert.deepEqual(health.database, { kind: 'SQLITE', connected: true });
  assert.equal(health.nats.connected, true);
  assert.equal(health.nats.jetStream, true);
  assert.equal(health.nats.server, server.url.replace('nats://', ''));
  assert.deepEqual(
    health.workers.map((w) => w.id),
    ['gw-test-worker'],
  );
  assert.equal(health.workers[0]!.backend, worker.backend.name);
  assert.ok(health.workers[0]!.versions.some((v) => v.name === 'node'));
  assert.ok(fs.existsSync(path.join(dataDir, 'db.sqlite')), 'the SQLite file was created');
});

/** Polls `read` until it returns `expected` (presence travels through a KV watch). */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await read();
  }
  assert.deepEqual(last, expected);
}

const workerIds = async () =>
  (await graphql<{ workers: { id: string }[] }>(gateway.url, '{ workers { id } }', key)).data!.workers.map((w) => w.id);

test('without an API key health says only its status: no version, servers, hosts or processes', async () => {
  const { data, errors } = await graphql<{ health: { status: string } }>(gateway.url, '{ health { status } }');
  assert.equal(errors, undefined);
  assert.deepEqual(data, { health: { status: 'ok' } });
  for (const detail of ['version', 'database { kind }', 'nats { server }', 'workers { host pid }']) {
    const answer = await graphql<{ health: unknown }>(gateway.url, `{ health { status ${detail} } }`);
    assert.equal(answer.data?.health ?? null, null, `${detail} is not answered`);
    assert.equal(answer.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', detail);
    assert.match(answer.errors![0]!.message, /health details .* need(s)? an API key/);
  }
  const workers = await graphql(gateway.url, '{ workers { host pid } }');
  assert.equal(workers.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.equal(workers.data ?? null, null);
});

test('the workers query lists a worker that joins and drops one that stops', async () => {
  const extra = await startWorker(
    { natsUrl: server.url, natsLogin: natsLogin(server, 'worker'), workerId: 'gw-extra', concurrency: 1, dataDir },
    quiet,
  );
  try {
    await eventually(workerIds, ['gw-extra', 'gw-test-worker']);
  } finally {
    await extra.stop();
  }
  await eventually(workerIds, ['gw-test-worker']);
});

test('malformed GraphQL gets a clear error, not a crash', async () => {
  const { errors } = await graphql(gateway.url, '{ health { nosuchfield } }');
  assert.match(errors![0]!.message, /Cannot query field "nosuchfield" on type "Health"/);
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query": ',
  });
  assert.equal(response.status, 400);
  const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
  assert.match(body.errors[0]!.message, /request body is not valid JSON/);
  assert.equal(body.errors[0]!.extensions.code, 'BAD_INPUT');
});

test('/healthz answers for launchers and load balancers', async () => {
  const response = await fetch(`${gateway.url}/healthz`);
  assert.deepEqual(await response.json(), { ok: true });
});

test('with NATS unreachable the gateway still serves and reports NATS as down', async () => {
  const lonely = await startGateway(
    {
      port: 0,
      host: '127.0.0.1',
      natsUrl: 'nats://127.0.0.1:1',
      database: { kind: 'sqlite', file: path.join(dataDir, 'lonely.sqlite') },
    },
    quiet,
  );
  try {
    const lonelyKey = (await createTeamWithKey(lonely.db.orm.em.fork(), 'lonely')).key;
    const { data } = await graphql<HealthAnswer>(lonely.url, HEALTH, lonelyKey);
    assert.equal(data!.health.nats.connected, false);
    const { data: open } = await graphql<{ health: { status: string } }>(lonely.url, '{ health { status } }');
    assert.equal(open!.health.status, 'degraded', 'anonymous callers learn that something is down, not what');
    assert.deepEqual(data!.health.workers, []);
    assert.equal(data!.health.database.connected, true);
  } finally {
    await lonely.stop();
  }
});

test('with DATABASE_URL naming PostgreSQL the gateway owns a real PostgreSQL database', async () => {
  const pg = await startPostgres();
  try {
    const pgGateway = await startTestGateway(server, parseDatabaseUrl(pg.url), {}, quiet);
    try {
      const pgKey = (await createTeamWithKey(pgGateway.db.orm.em.fork(), 'pg')).key;
      const { data } = await graphql<HealthAnswer>(pgGateway.url, HEALTH, pgKey);
      assert.deepEqual(data!.health.database, { kind: 'POSTGRESQL', connected: true });
      const [row] = await pgGateway.db.orm.em.getConnection().execute<{ version: string }[]>('select version()');
      assert.match(row!.version, /^PostgreSQL/);
    } finally {
      await pgGateway.stop();
    }
  } finally {
    await pg.stop();
  }
});

test('schema/graphql/schema.graphql is up to date with the resolvers', async () => {
  const checkedIn = fs.readFileSync(SCHEMA_FILE, 'utf8');
  assert.equal(checkedIn, await printGatewaySchema(), 'stale: run `npm run emit-schema -w @lrnas/gateway`');
});
