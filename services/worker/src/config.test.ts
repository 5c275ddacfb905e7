import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContractError } from '@lrnas/schema';
import { nkeys } from 'nats';
import { parseWorkerConfig } from './config.js';

test('defaults come from the environment, flags win over it', () => {
  const config = parseWorkerConfig([], {
    NATS_URL: 'nats://10.0.0.1:4222',
    LRNAS_WORKER_ID: 'w-1',
    LRNAS_DATA_DIR: '/d',
  });
  assert.deepEqual(config, {
    natsUrl: 'nats://10.0.0.1:4222',
    natsLogin: {},
    workerId: 'w-1',
    concurrency: 1,
    natsReplicas: 1,
    metricsPort: 9464,
    dataDir: '/d/data',
  });
  const cluster = parseWorkerConfig(['--nats-url', 'nats://a:4222,nats://b:4222', '--metrics-port', 'off'], {
    LRNAS_NATS_REPLICAS: '3',
  });
  assert.equal(cluster !== 'help' && cluster.natsReplicas, 3);
  assert.equal(cluster !== 'help' && cluster.metricsPort, undefined);
  const flagged = parseWorkerConfig(
    ['--nats-url', 'nats://h:1', '--id', 'w_2', '--concurrency', '3', '--backend', 'cpu'],
    {
      NATS_URL: 'nats://ignored:4222',
    },
  );
  assert.equal(flagged !== 'help' && flagged.natsUrl, 'nats://h:1');
  assert.equal(flagged !== 'help' && flagged.concurrency, 3);
  assert.equal(flagged !== 'help' && flagged.backend, 'cpu');
  assert.equal(parseWorkerConfig(['--help'], {}), 'help');
  const login = parseWorkerConfig(['--nats-user', 'lrnas-worker'], { NATS_PASSWORD: 's3cret' });
  assert.deepEqual(login !== 'help' && login.natsLogin, { user: 'lrnas-worker', password: 's3cret' });
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const nkey = parseWorkerConfig([], { NATS_NKEY_SEED: seed });
  assert.deepEqual(nkey !== 'help' && nkey.natsLogin, { nkeySeed: seed });
});

test('bad options are refused by name', () => {
  const refused = (argv: string[], env: NodeJS.ProcessEnv, field: string) =>
    assert.throws(
      () => parseWorkerConfig(argv, env),
      (e: unknown) => e instanceof ContractError && e.field === field,
    );
  refused(['--concurrency', '0'], {}, '--concurrency');
  refused(['--concurrency', 'two'], {}, '--concurrency');
  refused([], { LRNAS_WORKER_CONCURRENCY: '65' }, '--concurrency');
  refused(['--nats-url', 'http://x'], {}, '--nats-url');
  refused(['--id', 'has.dot'], {}, '--id');
  refused(['--nats-user', 'u'], {}, '--nats-user');
  refused(['--nats-nkey-seed', 'SUNOTASEED'], {}, '--nats-nkey-seed');
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  refused(['--nats-nkey-seed', seed], { NATS_TOKEN: 't' }, '--nats-nkey-seed');
  refused(['--nats-url', 'nats://a:1,http://b'], {}, '--nats-url');
  refused([], { LRNAS_NATS_REPLICAS: '0' }, '--nats-replicas');
  refused(['--metrics-port', '70000'], {}, '--metrics-port');
  refused(['--metrics-port', 'on'], {}, '--metrics-port');
  assert.throws(() => parseWorkerConfig(['--bogus'], {}), /Unknown option '--bogus'/);
});
