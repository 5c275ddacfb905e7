// The NATS roles of schema/nats/roles.json, enforced by a real nats-server: no one connects without a
// login, a worker can do a worker's work and nothing else, the gateway cannot forge events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import path from 'node:path';
import { connect, nkeys, type NatsConnection } from 'nats';
import {
  ARTIFACTS_BUCKET,
  CANCELS_BUCKET,
  eventSubject,
  EVENTS_STREAM,
  JOBS_CONSUMER,
  JOBS_STREAM,
  jobSubject,
  WORKERS_BUCKET,
} from '../src/index.js';
import { ensureTopology, loginOptions, openBuckets } from '../src/nats/index.js';
import { natsLogin, useNatsServer, type NatsRole } from '@lrnas/local/test-nats';

const nats = useNatsServer('lrnas-roles-', { topology: true });
const as = (role: NatsRole): Promise<NatsConnection> =>
  connect({ servers: nats.server.url, ...loginOptions(natsLogin(nats.server, role)) });
const refused = /Permissions Violation/;

test('a client without a login, with a password, or with an nkey the server was not given, cannot connect', async () => {
  await assert.rejects(connect({ servers: nats.server.url }), /Authorization Violation/);
  await assert.rejects(
    connect({ servers: nats.server.url, user: 'lrnas-worker', pass: 'guessed' }),
    /Authorization Violation/,
  );
  const stranger = new TextDecoder().decode(nkeys.createUser().getSeed());
  await assert.rejects(
    connect({ servers: nats.server.url, ...loginOptions({ nkeySeed: stranger }) }),
    /Authorization Violation/,
  );
});

test('the server holds public keys only: no seed is in its configuration', () => {
  const config = fs.readFileSync(path.join(nats.dataDir, 'nats', 'nats-server.conf'), 'utf8');
  for (const role of ['gateway', 'worker', 'admin'] as const) {
    const { seed, publicKey } = nats.server.credentials[role];
    assert.ok(config.includes(publicKey), `${role}'s public key is in the configuration`);
    assert.ok(!config.includes(seed), `${role}'s seed is not`);
  }
});

test('a worker publishes events, keeps its presence, reads cancels and uses the artifact store', async () => {
  const nc = await as('worker');
  try {
    const js = nc.jetstream();
    assert.ok((await js.publish(eventSubject('run-r', 'log'), new Uint8Array(1))).seq > 0);
    const buckets = await openBuckets(js);
    await buckets.workers.put('w-r', new TextEncoder().encode('{}'));
    assert.equal(await buckets.cancels.get('run-r'), null);
    await buckets.artifacts.putBlob({ name: 'run-r/x.bin' }, new Uint8Array(200_000));
    assert.equal((await buckets.artifacts.getBlob('run-r/x.bin'))?.length, 200_000);
    const report = await ensureTopology(await nc.jetstreamManager());
    assert.equal(report.created.length + report.updated.length, 0, 'verified only');
  } finally {
    await nc.close();
  }
});

test('a worker cannot publish a job, change streams, write cancels or read another bucket', async () => {
  const admin = nats.nc.jetstream();
  const apiKeys = await admin.views.kv('lrnas-api-limits');
  await apiKeys.put('team-a', new TextEncoder().encode('secret'));
  const nc = await as('worker');
  try {
    const js = nc.jetstream();
    await assert.rejects(js.publish(jobSubject('search'), new Uint8Array(1)), refused);
    const jsm = await nc.jetstreamManager();
    await assert.rejects(jsm.streams.add({ name: 'ROGUE', subjects: ['rogue.>'] }), refused);
    await assert.rejects(jsm.streams.delete(EVENTS_STREAM), refused);
    await assert.rejects(jsm.consumers.delete(JOBS_STREAM, JOBS_CONSUMER), refused);
    const cancels = await js.views.kv(CANCELS_BUCKET, { bindOnly: true });
    await assert.rejects(cancels.put('run-r', new Uint8Array(1)), refused);
    const other = await js.views.kv('lrnas-api-limits', { bindOnly: true });
    await assert.rejects(other.get('team-a'), refused);
  } finally {
    await nc.close();
  }
});

test('the gateway cannot publish events: only a worker running a job does', async () => {
  const nc = await as('gateway');
  try {
    await assert.rejects(nc.jetstream().publish(eventSubject('run-r', 'status'), new Uint8Array(1)), refused);
    assert.ok((await nc.jetstream().publish(jobSubject('search'), new Uint8Array(1), { msgID: 'gw-job' })).seq > 0);
  } finally {
    await nc.close();
  }
});

test("roles.json names the contract's streams, consumer and buckets", () => {
  const { roles } = JSON.parse(fs.readFileSync(new URL('../nats/roles.json', import.meta.url), 'utf8')) as {
    roles: Record<string, { publish: { allow: string[] } }>;
  };
  const worker = roles.worker!.publish.allow;
  for (const subject of [
    `$JS.API.CONSUMER.MSG.NEXT.${JOBS_STREAM}.${JOBS_CONSUMER}`,
    `$JS.ACK.${JOBS_STREAM}.${JOBS_CONSUMER}.>`,
    `$JS.API.CONSUMER.CREATE.${EVENTS_STREAM}.>`,
    `$O.${ARTIFACTS_BUCKET}.>`,
    `$KV.${WORKERS_BUCKET}.>`,
    `$JS.API.DIRECT.GET.KV_${CANCELS_BUCKET}.>`,
    eventSubject('x', 'log').replace(/x\.log$/, '>'),
  ]) {
    assert.ok(worker.includes(subject), `the worker role allows ${subject}`);
  }
});
