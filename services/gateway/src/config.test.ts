import path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContractError } from '@lrnas/schema';
import { nkeys } from 'nats';
import { parseDatabaseUrl, parseGatewayConfig } from './config.js';

test('DATABASE_URL selects SQLite or PostgreSQL', () => {
  assert.deepEqual(parseDatabaseUrl('sqlite:/tmp/x.sqlite'), { kind: 'sqlite', file: '/tmp/x.sqlite' });
  assert.deepEqual(parseDatabaseUrl('sqlite:///tmp/x.sqlite'), { kind: 'sqlite', file: '/tmp/x.sqlite' });
  assert.deepEqual(parseDatabaseUrl('file:rel.db'), { kind: 'sqlite', file: path.resolve('rel.db') });
  assert.deepEqual(parseDatabaseUrl('postgres://u:p@h:5432/db'), {
    kind: 'postgresql',
    url: 'postgres://u:p@h:5432/db',
  });
  assert.deepEqual(parseDatabaseUrl('postgresql://h/db'), { kind: 'postgresql', url: 'postgresql://h/db' });
});

test('a bad DATABASE_URL is named, with its password hidden', () => {
  assert.throws(
    () => parseDatabaseUrl('mysql://root:secret@h/db'),
    (e: unknown) =>
      e instanceof ContractError &&
      e.field === 'DATABASE_URL' &&
      !e.message.includes('secret') &&
      e.message.includes('***'),
  );
});

test('defaults: port 4000, SQLite under the data directory', () => {
  const config = parseGatewayConfig({ LRNAS_DATA_DIR: '/var/lrnas' });
  assert.equal(config.port, 4000);
  assert.deepEqual(config.database, { kind: 'sqlite', file: '/var/lrnas/lrnas.sqlite' });
  assert.equal(config.natsUrl, 'nats://127.0.0.1:4222');
});

test('bad PORT and NATS_URL are refused by name', () => {
  assert.throws(
    () => parseGatewayConfig({ PORT: '70000' }),
    (e: unknown) => e instanceof ContractError && e.field === 'PORT',
  );
  assert.throws(
    () => parseGatewayConfig({ PORT: 'http' }),
    (e: unknown) => e instanceof ContractError && e.field === 'PORT',
  );
  assert.throws(
    () => parseGatewayConfig({ NATS_URL: 'localhost:4222' }),
    (e: unknown) => e instanceof ContractError && e.field === 'NATS_URL',
  );
});

test('the NATS login: an nkey seed, or a user with a password; a broken or doubled login is refused by name', () => {
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  assert.deepEqual(parseGatewayConfig({ NATS_NKEY_SEED: seed }).natsLogin, { nkeySeed: seed });
  assert.deepEqual(parseGatewayConfig({ NATS_USER: 'u', NATS_PASSWORD: 'p', NATS_TOKEN: '' }).natsLogin, {
    user: 'u',
    password: 'p',
  });
  const refused = (env: NodeJS.ProcessEnv, field: string) =>
    assert.throws(
      () => parseGatewayConfig(env),
      (e: unknown) => e instanceof ContractError && e.field === field,
    );
  refused({ NATS_USER: 'u' }, 'NATS_USER');
  // An account seed (SA…) or a mistyped one is not a user's.
  refused({ NATS_NKEY_SEED: new TextDecoder().decode(nkeys.createAccount().getSeed()) }, 'NATS_NKEY_SEED');
  const mistyped = `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`;
  refused({ NATS_NKEY_SEED: mistyped }, 'NATS_NKEY_SEED');
  refused({ NATS_NKEY_SEED: seed, NATS_USER: 'u', NATS_PASSWORD: 'p' }, 'NATS_NKEY_SEED');
});

test('durations: checkpoint retention (7d by default, 0 keeps forever) and the artifact stall timeout', () => {
  const defaults = parseGatewayConfig({});
  assert.equal(defaults.checkpointRetentionMs, 7 * 86_400_000);
  assert.equal(defaults.api?.artifactStallMs, 30_000);
  const set = parseGatewayConfig({ LRNAS_CHECKPOINT_RETENTION: '36h', LRNAS_ARTIFACT_STALL_TIMEOUT: '1.5m' });
  assert.equal(set.checkpointRetentionMs, 36 * 3_600_000);
  assert.equal(set.api?.artifactStallMs, 90_000);
  assert.equal(parseGatewayConfig({ LRNAS_CHECKPOINT_RETENTION: '0' }).checkpointRetentionMs, 0);
  for (const [name, value] of [
    ['LRNAS_CHECKPOINT_RETENTION', '7'],
    ['LRNAS_CHECKPOINT_RETENTION', '7 days'],
    ['LRNAS_CHECKPOINT_RETENTION', '-1d'],
    ['LRNAS_ARTIFACT_STALL_TIMEOUT', '0'],
    ['LRNAS_ARTIFACT_STALL_TIMEOUT', 'soon'],
  ] as const) {
    assert.throws(
      () => parseGatewayConfig({ [name]: value }),
      (e: unknown) => e instanceof ContractError && e.field === name,
      `${name}=${value}`,
    );
  }
});

test('LRNAS_MAX_SUBSCRIPTIONS: subscriptions per key, 100 by default, at least 1', () => {
  assert.equal(parseGatewayConfig({}).api?.maxSubscriptionsPerKey, 100);
  assert.equal(parseGatewayConfig({ LRNAS_MAX_SUBSCRIPTIONS: '7' }).api?.maxSubscriptionsPerKey, 7);
  assert.throws(
    () => parseGatewayConfig({ LRNAS_MAX_SUBSCRIPTIONS: '0' }),
    (e: unknown) => e instanceof ContractError && e.field === 'LRNAS_MAX_SUBSCRIPTIONS',
  );
});

test('metrics access: a port of its own and/or a token, checked by name', () => {
  assert.deepEqual(parseGatewayConfig({}).metrics, {}, 'by default /metrics is served to no one');
  const token = 'a'.repeat(32);
  assert.deepEqual(
    parseGatewayConfig({ LRNAS_METRICS_PORT: '9464', LRNAS_METRICS_HOST: '10.0.0.5', LRNAS_METRICS_TOKEN: token })
      .metrics,
    { port: 9464, host: '10.0.0.5', token },
  );
  assert.throws(
    () => parseGatewayConfig({ LRNAS_METRICS_PORT: 'nine' }),
    (e: unknown) => e instanceof ContractError && e.field === 'LRNAS_METRICS_PORT',
  );
  assert.throws(
    () => parseGatewayConfig({ LRNAS_METRICS_TOKEN: 'short' }),
    (e: unknown) => e instanceof ContractError && e.field === 'LRNAS_METRICS_TOKEN' && !e.message.includes('short'),
  );
});
