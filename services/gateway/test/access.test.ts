// Access control and limits against a real gateway: API keys (hashed, created, revoked), team
// ownership of mutations and private experiments, the public-leaderboard setting, the two ways to
// get the first key (LRNAS_BOOTSTRAP_KEY, the create-team command), query depth and complexity
// limits, the per-key rate limit and stable error codes.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, parseGatewayConfig, type DatabaseTarget } from '../src/config.js';
import type { GatewayConfig, GatewayHandle } from '../src/index.js';
import { ApiKey } from '../src/persistence/entities/index.js';
import { firstError, gql, ok } from '@lrnas/test-kit/graphql';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-access-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const gatewayOn = (database: DatabaseTarget, api: GatewayConfig['api'] = {}) =>
  startTestGateway(nats.server, database, { api });

const CREATE = `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`;
const experimentInput = (visibility: 'PUBLIC' | 'PRIVATE') => ({
  input: { name: 'e', dataset: 'MNIST', threatModel: { norm: 'LINF', epsilon: 0.1 }, parameterBudget: 1e6, visibility },
});

const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'access.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    let keyA: string;
    let keyB: string;
    before(async () => {
      gateway = await gatewayOn(target(nats.dataDir), { publicLeaderboard: false });
      await gateway.nats.ready;
      keyA = (await createTeamWithKey(gateway.db.orm.em.fork(), 'a')).key;
      keyB = (await createTeamWithKey(gateway.db.orm.em.fork(), 'b')).key;
    });
    after(async () => {
      await gateway?.stop();
    });

    test('mutations need a key; a malformed, unknown or revoked key is refused with 401', async () => {
      const anonymous = await gql(gateway.url, CREATE, experimentInput('PUBLIC'));
      assert.equal(firstError(anonymous).code, 'UNAUTHENTICATED');
      for (const key of ['short', 'lrnas_unknownunknownunknownunknownunknown']) {
        const answer = await gql(gateway.url, '{ experiments { id } }', {}, key);
        assert.equal(answer.status, 401);
        assert.equal(firstError(answer).code, 'UNAUTHENTICATED');
      }
      const created = ok(
        await gql<{ createApiKey: { key: string; apiKey: { id: string; name: string } } }>(
          gateway.url,
          'mutation { createApiKey(name: "ci") { key apiKey { id name } } }',
          {},
          keyA,
        ),
      ).createApiKey;
      ok(await gql(gateway.url, CREATE, experimentInput('PRIVATE'), created.key));
      const rows = await gateway.db.orm.em.fork().find(ApiKey, {});
      assert.ok(
        rows.every((row) => !JSON.stringify(row).includes(created.key.slice(6, 30))),
        'no stored column holds the key',
      );
      const stranger = await gql(gateway.url, `mutation { revokeApiKey(id: "${created.apiKey.id}") { id } }`, {}, keyB);
      assert.equal(firstError(stranger).code, 'NOT_FOUND', 'another team cannot revoke it');
      ok(await gql(gateway.url, `mutation { revokeApiKey(id: "${created.apiKey.id}") { revokedAt } }`, {}, keyA));
      const revoked = await gql(gateway.url, CREATE, experimentInput('PRIVATE'), created.key);
      assert.deepEqual([revoked.status, firstError(revoked).code], [401, 'UNAUTHENTICATED']);
      const listed = ok(await gql<{ apiKeys: { name: string }[] }>(gateway.url, '{ apiKeys { name } }', {}, keyA));
      assert.deepEqual(listed.apiKeys.map((k) => k.name).sort(), ['ci', 'first key']);
    });

    test('another team can read a public experiment but not change it, and cannot see a private one', async () => {
      const open = ok(
        await gql<{ createExperiment: { id: string } }>(gateway.url, CREATE, experimentInput('PUBLIC'), keyA),
      );
      const closed = ok(
        await gql<{ createExperiment: { id: string } }>(gateway.url, CREATE, experimentInput('PRIVATE'), keyA),
      );
      const START = 'mutation($id: ID!) { startSearch(input: { experimentId: $id }) { id } }';
      const forbidden = await gql(gateway.url, START, { id: open.createExperiment.id }, keyB);
      assert.equal(firstError(forbidden).code, 'FORBIDDEN');
      const hidden = await gql(gateway.url, START, { id: closed.createExperiment.id }, keyB);
      assert.equal(firstError(hidden).code, 'NOT_FOUND');
      const read = await gql(gateway.url, 'query($id: ID!) { experiment(id: $id) { id } }', {
        id: open.createExperiment.id,
      });
      assert.equal(read.errors, undefined, 'public: readable without a key');
      const unseen = await gql(gateway.url, 'query($id: ID!) { experiment(id: $id) { id } }', {
        id: closed.createExperiment.id,
      });
      assert.equal(firstError(unseen).code, 'NOT_FOUND');
      ok(await gql(gateway.url, START, { id: open.createExperiment.id }, keyA));
    });

    test('with the public leaderboard off, reading it needs a key', async () => {
      const BOARD = '{ leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.1 }) { rank } }';
      assert.equal(firstError(await gql(gateway.url, BOARD)).code, 'UNAUTHENTICATED');
      ok(await gql(gateway.url, BOARD, {}, keyB));
    });
  });
}

describe('first team', () => {
  test('LRNAS_BOOTSTRAP_KEY creates the first team on an empty database, and only then', async () => {
    const config = parseGatewayConfig({
      LRNAS_BOOTSTRAP_KEY: 'bootstrap-key-for-the-first-team-000000',
      LRNAS_BOOTSTRAP_TEAM: 'founders',
      DATABASE_URL: `sqlite:${path.join(nats.dataDir, 'bootstrap.sqlite')}`,
    });
    assert.equal(config.api?.bootstrapTeam, 'founders');
    const first = await gatewayOn(config.database, config.api);
    try {
      const me = ok(
        await gql<{ apiKeys: { name: string }[] }>(first.url, '{ apiKeys { name } }', {}, config.api!.bootstrapKey),
      );
      assert.deepEqual(me.apiKeys, [{ name: 'bootstrap key' }]);
    } finally {
      await first.stop();
    }
    const second = await gatewayOn(config.database, {
      ...config.api,
      bootstrapKey: 'another-key-0000000000000000000000000',
    });
    try {
      const refused = await gql(second.url, '{ apiKeys { name } }', {}, 'another-key-0000000000000000000000000');
      assert.equal(firstError(refused).code, 'UNAUTHENTICATED', 'a second key is not bootstrapped');
    } finally {
      await second.stop();
    }
    assert.throws(() => parseGatewayConfig({ LRNAS_BOOTSTRAP_KEY: 'x', LRNAS_RATE_LIMIT: '0' }), /LRNAS_RATE_LIMIT/);
  });

  test('npm run create-team prints a key that works', async () => {
    const database = path.join(nats.dataDir, 'cli.sqlite');
    const run = (name: string) =>
      spawnSync('npm', ['run', '--silent', 'create-team', '--', '--name', name], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, DATABASE_URL: `sqlite:${database}` },
        encoding: 'utf8',
      });
    const made = run('cli team');
    assert.equal(made.status, 0, made.stderr);
    const key = made.stdout.trim().split('\n').at(-1)!;
    assert.match(key, /^lrnas_[A-Za-z0-9_-]{43}$/);
    const twice = run('cli team');
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /name: a team named cli team exists/);
    const gateway = await gatewayOn({ kind: 'sqlite', file: database });
    try {
      ok(await gql(gateway.url, CREATE, experimentInput('PRIVATE'), key));
    } finally {
      await gateway.stop();
    }
  });
});

describe('limits', () => {
  let gateway: GatewayHandle;
  let key: string;
  let other: string;
  before(async () => {
    gateway = await gatewayOn(
      { kind: 'sqlite', file: path.join(nats.dataDir, 'limits.sqlite') },
      { maxQueryDepth: 6, maxQueryComplexity: 2000, rateLimitPerMinute: 20 },
    );
    key = (await createTeamWithKey(gateway.db.orm.em.fork(), 'limited')).key;
    other = (await createTeamWithKey(gateway.db.orm.em.fork(), 'other')).key;
  });
  after(async () => {
    await gateway?.stop();
  });

  test('over-deep and over-complex queries are refused before running, naming the limit', async () => {
    const deep = await gql(
      gateway.url,
      '{ runs { edges { node { parent { parent { parent { parent { id } } } } } } } }',
      {},
      key,
    );
    // 200: a client without an Accept header reads application/json (graphql-http.test.ts has the 4xx).
    assert.deepEqual([deep.status, firstError(deep).code], [200, 'BAD_INPUT']);
    assert.match(firstError(deep).message, /query depth 8 exceeds the limit of 6/);
    const costly = await gql(
      gateway.url,
      '{ runs(first: 100) { edges { node { id evaluations { id attack architecture { hash params } } } } } }',
      {},
      key,
    );
    assert.match(firstError(costly).message, /query complexity \d+ exceeds the limit of 2000/);
    const viaVariable = await gql(
      gateway.url,
      'query($n: Int) { runs(first: $n) { edges { node { id evaluations { id attack architecture { hash params } } } } } }',
      { n: 100 },
      key,
    );
    assert.match(firstError(viaVariable).message, /complexity/, 'page sizes in variables count too');
    ok(await gql(gateway.url, '{ runs(first: 5) { edges { node { id evaluations { id } } } } }', {}, key));
    ok(await gql(gateway.url, '{ __schema { types { name fields { name type { ofType { ofType { name } } } } } } }'));
  });

  test('a key over its rate gets 429 RATE_LIMITED; other keys are unaffected', async () => {
    let limited;
    for (let i = 0; i < 30 && !limited; i++) {
      const answer = await gql(gateway.url, '{ apiKeys { id } }', {}, key);
      if (answer.errors) limited = answer;
    }
    assert.ok(limited, 'the limit was reached');
    assert.deepEqual([limited.status, firstError(limited).code], [429, 'RATE_LIMITED']);
    ok(await gql(gateway.url, '{ apiKeys { id } }', {}, other));
  });

  test('error codes are stable: GraphQL mistakes are BAD_INPUT', async () => {
    const unknownField = await gql(gateway.url, '{ nosuch }', {}, other);
    assert.equal(firstError(unknownField).code, 'BAD_INPUT');
    const badVariable = await gql(gateway.url, 'query($n: Int) { runs(first: $n) { totalCount } }', { n: 'x' }, other);
    assert.equal(firstError(badVariable).code, 'BAD_INPUT');
  });
});
