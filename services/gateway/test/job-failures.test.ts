// A job that every delivery leaves unfinished: JetStream gives up after MaxDeliver and the
// gateway marks its run FAILED (against a real nats-server, on SQLite and PostgreSQL).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JOBS_CONSUMER, JOBS_STREAM, TOPOLOGY } from '@lrnas/schema';
import { JOB_FAILURES_STREAM } from '../src/ingest/job-failures.js';
import { useNatsServer } from '@lrnas/local/test-nats';
import { startPostgres, type PostgresHandle } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import type { GatewayHandle } from '../src/gateway.js';
import { Run, RunStatus } from '../src/persistence/entities/index.js';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { publishSignedEvent } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-job-failures-');
let pg: PostgresHandle;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const maxDeliver = TOPOLOGY.consumers.find((c) => c.durable_name === JOBS_CONSUMER)!.max_deliver;
const targets: [string, (dir: string) => DatabaseTarget][] = [
  ['SQLite', (dir) => ({ kind: 'sqlite', file: path.join(dir, 'failures.sqlite') })],
  ['PostgreSQL', () => parseDatabaseUrl(pg.url)],
];

for (const [label, target] of targets) {
  describe(label, () => {
    let gateway: GatewayHandle;
    before(async () => {
      gateway = await startTestGateway(nats.server, target(nats.dataDir));
    });
    after(async () => {
      await gateway?.stop();
    });

    test('a job refused on every delivery fails its run and leaves the work queue', async () => {
      const { key } = await createTeamWithKey(gateway.db.orm.em.fork(), 'failing');
      const experiment = ok(
        await gql<{ createExperiment: { id: string } }>(
          gateway.url,
          'mutation { createExperiment(input: { name: "f", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 1000000 }) { id } }',
          {},
          key,
        ),
      ).createExperiment.id;
      const clientId = `doomed-${label}`;
      const runId = ok(
        await gql<{ startSearch: { id: string } }>(
          gateway.url,
          `mutation { startSearch(input: { experimentId: "${experiment}", runId: "${clientId}" }) { id } }`,
          {},
          key,
        ),
      ).startSearch.id;

      // A worker that takes the job and gives it back, every time.
      const consumer = await nats.nc.jetstream().consumers.get(JOBS_STREAM, JOBS_CONSUMER);
      for (let delivery = 1; delivery <= maxDeliver; delivery++) {
        const message = await consumer.next({ expires: 5000 });
        assert.ok(message, `delivery ${delivery}`);
        assert.equal(message.info.redeliveryCount, delivery);
        if (delivery === maxDeliver - 1) {
          // What a worker reports when an attempt fails but may be retried: it had started.
          const started = {
            v: 1,
            runId,
            attempt: delivery,
            seq: 0,
            time: new Date().toISOString(),
            type: 'status',
            status: 'RUNNING',
            workerId: 'w-doomed',
          };
          await publishSignedEvent(nats.nc, gateway.db.orm, started);
          const failure = {
            v: 1,
            runId,
            attempt: delivery,
            seq: 1,
            time: new Date().toISOString(),
            type: 'log',
            level: 'error',
            message: `attempt ${delivery} failed: out of memory`,
          };
          await publishSignedEvent(nats.nc, gateway.db.orm, failure);
          // The run shows the attempt's error while it waits for the next one.
          const seen = Date.now() + 10_000;
          let code: string | undefined;
          while (code !== 'ATTEMPT_FAILED' && Date.now() < seen) {
            const query = `{ run(id: "${runId}") { error { code } } }`;
            code = ok(await gql<{ run: { error: { code: string } | null } }>(gateway.url, query, {}, key)).run.error
              ?.code;
          }
          assert.equal(code, 'ATTEMPT_FAILED');
        }
        message.nak();
      }
      // JetStream notices the limit when the job would be handed out again, at the next pull.
      assert.equal(await consumer.next({ expires: 1000 }), null, 'no further delivery');
      const deadline = Date.now() + 10_000;
      let run: { status: string; error: { code: string; message: string } | null } | undefined;
      while (Date.now() < deadline) {
        run = ok(
          await gql<{ run: { status: string; error: { code: string; message: string } | null } }>(
            gateway.url,
            `{ run(id: "${runId}") { status error { code message } } }`,
            {},
            key,
          ),
        ).run;
        if (run.status === 'FAILED') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(run?.status, 'FAILED');
      assert.equal(run?.error?.code, 'MAX_DELIVERIES');
      assert.match(run?.error?.message ?? '', /delivered 5 times .*; the last error: attempt 4 failed: out of memory$/);
      const jsm = await nats.nc.jetstreamManager();
      let left = 1;
      while (left > 0 && Date.now() < deadline) {
        left = (await jsm.streams.info(JOBS_STREAM)).state.messages;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(left, 0, 'the job is gone from the work queue');
    });
  });
}

describe('while no gateway runs', () => {
  test('the advisory is kept, and a gateway started afterwards fails the run and empties the queue', async () => {
    const database: DatabaseTarget = { kind: 'sqlite', file: path.join(nats.dataDir, 'offline.sqlite') };
    const start = async () => {
      const gateway = await startTestGateway(nats.server, database);
      return gateway;
    };
    const first = await start();
    let runId = '';
    try {
      const { key } = await createTeamWithKey(first.db.orm.em.fork(), 'offline');
      const experiment = ok(
        await gql<{ createExperiment: { id: string } }>(
          first.url,
          'mutation { createExperiment(input: { name: "o", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 1000000 }) { id } }',
          {},
          key,
        ),
      ).createExperiment.id;
      runId = ok(
        await gql<{ startSearch: { id: string } }>(
          first.url,
          `mutation { startSearch(input: { experimentId: "${experiment}", runId: "doomed-offline" }) { id } }`,
          {},
          key,
        ),
      ).startSearch.id;
    } finally {
      await first.stop();
    }

    // No gateway is connected while every delivery is given back and JetStream gives up.
    const jsm = await nats.nc.jetstreamManager();
    const captured = (await jsm.streams.info(JOB_FAILURES_STREAM)).state.messages;
    const consumer = await nats.nc.jetstream().consumers.get(JOBS_STREAM, JOBS_CONSUMER);
    for (let delivery = 1; delivery <= maxDeliver; delivery++) {
      const message = await consumer.next({ expires: 5000 });
      assert.ok(message, `delivery ${delivery}`);
      message.nak();
    }
    assert.equal(await consumer.next({ expires: 1000 }), null, 'no further delivery');
    const kept = Date.now() + 10_000;
    while ((await jsm.streams.info(JOB_FAILURES_STREAM)).state.messages === captured && Date.now() < kept) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((await jsm.streams.info(JOB_FAILURES_STREAM)).state.messages, captured + 1, 'the advisory is kept');

    const second = await start();
    try {
      const em = () => second.db.orm.em.fork();
      const deadline = Date.now() + 20_000;
      let run = await em().findOneOrFail(Run, { id: runId });
      while (run.status !== RunStatus.FAILED && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        run = await em().findOneOrFail(Run, { id: runId });
      }
      assert.equal(run.status, RunStatus.FAILED);
      assert.equal(run.error?.code, 'MAX_DELIVERIES');
      assert.match(run.error?.message ?? '', /delivered 5 times/);
      let left = 1;
      while (left > 0 && Date.now() < deadline) {
        left = (await jsm.streams.info(JOBS_STREAM)).state.messages;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(left, 0, 'the job is gone from the work queue');
      let advisories = 1;
      while (advisories > 0 && Date.now() < deadline) {
        advisories = (await jsm.streams.info(JOB_FAILURES_STREAM)).state.messages;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(advisories, 0, 'the handled advisory is removed');
    } finally {
      await second.stop();
    }
  });
});
