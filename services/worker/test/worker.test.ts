import assert from 'node:assert/strict';
import { test } from 'node:test';
import { natsLogin, useNatsServer } from '@lrnas/local/test-nats';
import { JOBS_CONSUMER, JOBS_STREAM, WORKERS_BUCKET, workerPresenceCodec } from '@lrnas/schema';
import { ensureTopology, openBuckets } from '@lrnas/schema/nats';
import { startWorker } from '../src/index.js';

const nats = useNatsServer('lrnas-worker-');

test('a worker waits for the topology its login may not create, announces itself and withdraws on stop', async () => {
  const lines: string[] = [];
  const starting = startWorker(
    {
      natsUrl: nats.server.url,
      natsLogin: natsLogin(nats.server, 'worker'),
      workerId: 'test-worker',
      concurrency: 2,
      dataDir: nats.dataDir,
    },
    (line) => lines.push(line),
  );
  const deadline = Date.now() + 60_000;
  while (!lines.some((l) => /^waiting for the gateway to create the JetStream streams/.test(l))) {
    assert.ok(Date.now() < deadline, `the worker said it waits: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // What the gateway does at start, as the admin here.
  await ensureTopology(await nats.nc.jetstreamManager());
  await openBuckets(nats.nc.jetstream());
  const worker = await starting;
  try {
    assert.ok(worker.topology.verified.includes(`consumer ${JOBS_STREAM}/${JOBS_CONSUMER}`));
    const jsm = await nats.nc.jetstreamManager();
    assert.equal((await jsm.consumers.info(JOBS_STREAM, JOBS_CONSUMER)).name, JOBS_CONSUMER);

    const kv = await nats.nc.jetstream().views.kv(WORKERS_BUCKET);
    const entry = await kv.get('test-worker');
    assert.ok(entry, 'presence record written');
    const presence = workerPresenceCodec.decode(entry.value);
    assert.equal(presence.workerId, 'test-worker');
    assert.equal(presence.concurrency, 2);
    assert.equal(presence.backend, worker.backend.name);
    assert.equal(presence.pid, process.pid);
    assert.equal(presence.versions['tfjs-core'], '4.22.0');
    assert.match(lines.join('\n'), /backend \w+/);
  } finally {
    await worker.stop();
  }
  const kv = await nats.nc.jetstream().views.kv(WORKERS_BUCKET);
  const entry = await kv.get('test-worker');
  assert.ok(!entry || entry.operation !== 'PUT', 'presence withdrawn');
});

test('a second worker verifies the topology instead of recreating it', async () => {
  const first = await startWorker(
    {
      natsUrl: nats.server.url,
      natsLogin: natsLogin(nats.server, 'worker'),
      workerId: 'w-a',
      concurrency: 1,
      dataDir: nats.dataDir,
    },
    () => {},
  );
  const second = await startWorker(
    {
      natsUrl: nats.server.url,
      natsLogin: natsLogin(nats.server, 'worker'),
      workerId: 'w-b',
      concurrency: 1,
      dataDir: nats.dataDir,
    },
    () => {},
  );
  try {
    assert.deepEqual(second.topology.created, []);
    assert.equal(second.topology.verified.length, 4);
  } finally {
    await Promise.all([first.stop(), second.stop()]);
  }
});

test('an unreachable NATS server is a clear connection error', async () => {
  await assert.rejects(
    startWorker({ natsUrl: 'nats://127.0.0.1:1', workerId: 'w-x', concurrency: 1, dataDir: nats.dataDir }, () => {}),
    /CONNECTION_REFUSED/,
  );
});
