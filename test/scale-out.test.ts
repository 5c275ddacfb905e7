// Scale-out on one machine: a three-node NATS JetStream cluster (streams and buckets replicated
// three times), one gateway, three worker processes and six tiny pipelines. The NATS node with the
// most clients is stopped mid-run: every run still finishes exactly once with every step of its metrics, and the
// work spreads over all three workers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { loginOptions } from '@lrnas/schema/nats';
import { newNatsCredentials, startNatsServer, type NatsServerHandle } from '@lrnas/local/nats-server';
import { natsLogin, natsLoginFlags } from '@lrnas/local/test-nats';
import { freePort } from '@lrnas/local/ports';
import { createTeamWithKey } from '../services/gateway/src/auth/bootstrap.js';
import { startGateway, type GatewayHandle } from '../services/gateway/src/gateway.js';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { startPipelineInput, tinyPipelineJob } from '@lrnas/test-kit/tiny-jobs';
import { spawnWorkerProcess, tailOf, type WorkerProcess } from '@lrnas/test-kit/worker-process';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-scale-out-'));
const RUNS = 6;
const servers: NatsServerHandle[] = [];
const workers: WorkerProcess[] = [];
let gateway: GatewayHandle | undefined;
let client: NatsConnection | undefined;

after(async () => {
  for (const worker of workers) worker.child.kill('SIGKILL');
  await gateway?.stop().catch(() => undefined);
  await client?.close();
  await Promise.all(servers.map((server) => server.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Three nats-server processes on loopback ports, routed to each other. */
async function startCluster(): Promise<string> {
  const routePorts = [await freePort(), await freePort(), await freePort()];
  const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`);
  // One set of logins for the whole cluster: clients may connect to any member, routes authenticate.
  const credentials = newNatsCredentials();
  const started = await Promise.all(
    routePorts.map((port, i) =>
      startNatsServer({ dataDir: path.join(dir, `nats-${i}`), cluster: { name: `n${i}`, port, routes }, credentials }),
    ),
  );
  servers.push(...started);
  const urls = started.map((s) => s.url).join(',');
  // JetStream answers once the three have elected a meta leader.
  const admin = natsLogin(started[0]!, 'admin');
  client = await connect({ servers: urls.split(','), ...loginOptions(admin) });
  // checkAPI off: the manager would otherwise ask JetStream at once, before there is a leader.
  const jsm = await client.jetstreamManager({ checkAPI: false });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await jsm.getAccountInfo();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`the JetStream cluster did not form: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return urls;
}

function startWorker(index: number, natsUrl: string): void {
  workers.push(
    spawnWorkerProcess([
      ...[
        '--nats-url',
        natsUrl,
        ...natsLoginFlags(servers[0]!, 'worker'),
        '--nats-replicas',
        '3',
        '--id',
        `scale-w${index}`,
      ],
      ...['--data-dir', dir, '--work-dir', path.join(dir, `work-${index}`), '--metrics-port', '0'],
    ]),
  );
}

interface RunView {
  id: string;
  status: string;
  workerId: string | null;
  attempts: number;
  statusHistory: { status: string; attempt: number }[];
  evaluations: { attack: string }[];
}

test(
  'six jobs on three workers and a three-node NATS cluster, one node stopped mid-run',
  { timeout: 900_000 },
  async () => {
    const natsUrl = await startCluster();
    gateway = await startGateway(
      {
        port: 0,
        host: '127.0.0.1',
        natsUrl,
        natsLogin: natsLogin(servers[0]!, 'gateway'),
        natsReplicas: 3,
        database: { kind: 'sqlite', file: path.join(dir, 'scale.sqlite') },
      },
      () => {},
    );
    await gateway.nats.ready;
    const jsm = await client!.jetstreamManager();
    const jobs = await jsm.streams.info('LRNAS_JOBS');
    assert.equal(jobs.config.num_replicas, 3, 'the jobs stream is replicated on the three nodes');
    assert.equal(jobs.cluster?.replicas?.length, 2, 'a leader and two replicas');

    const { key } = await createTeamWithKey(gateway.db.orm.em.fork(), 'scale');
    const q = async <T>(query: string, variables: Record<string, unknown> = {}) =>
      ok(await gql<T>(gateway!.url, query, variables, key));
    const { createExperiment } = await q<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "scale", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 1000000 }) { id } }',
    );
    const runIds = Array.from({ length: RUNS }, (_, i) => `scale-${i}`);
    for (const [i, runId] of runIds.entries()) {
      const job = tinyPipelineJob(runId, { seed: 10 + i });
      await q(`mutation($input: StartPipelineInput!) { startPipeline(input: $input) { id } }`, {
        input: startPipelineInput(job, createExperiment.id),
      });
    }
    for (let i = 1; i <= 3; i++) startWorker(i, natsUrl);

    const runs = async () =>
      (
        await q<{ runs: { edges: { node: RunView }[] } }>(
          `{ runs(filter: { experimentId: "${createExperiment.id}" }, first: 50) { edges { node { id status workerId attempts statusHistory { status attempt } evaluations { attack } } } } }`,
        )
      ).runs.edges.map((e) => e.node);
    const waitFor = async (done: (list: RunView[]) => boolean, ms: number, what: string) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const list = await runs();
        if (done(list)) return list;
        if (Date.now() > deadline) {
          const logs = tailOf(workers, 1500);
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify(list.map((r) => r.status))}\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    };

    // Mid-run: three jobs running, none finished, when the second NATS node goes away.
    await waitFor((list) => list.filter((r) => r.status === 'RUNNING').length === 3, 300_000, 'three running jobs');
    // The node with the most clients goes: their connections must move to the other two.
    const connections = await Promise.all(
      servers.map(
        async (server) =>
          ((await (await fetch(`${server.monitorUrl}/connz`)).json()) as { num_connections: number }).num_connections,
      ),
    );
    const busiest = connections.indexOf(Math.max(...connections));
    assert.ok(connections[busiest]! >= 2, `clients on the node to stop: ${connections.join(', ')}`);
    await servers[busiest]!.stop();
    const finished = await waitFor(
      (list) => list.length === RUNS && list.every((r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status)),
      600_000,
      'every run to finish',
    );

    for (const run of finished) {
      assert.equal(run.status, 'SUCCEEDED', `${run.id}: ${JSON.stringify(run.statusHistory)}`);
      assert.equal(run.statusHistory.filter((s) => s.status === 'SUCCEEDED').length, 1, `${run.id} finished once`);
      assert.equal(run.evaluations.length, 1, `${run.id} has its one evaluation`);
      const [series] = (
        await q<{ metricSeries: { key: string; totalPoints: number; points: { step: number }[] }[] }>(
          `{ metricSeries(runId: "${run.id}", keys: ["search/loss"], maxPoints: 100) { key totalPoints points { step } } }`,
        )
      ).metricSeries;
      assert.deepEqual(
        series?.points.map((p) => p.step),
        [1, 2, 3, 4],
        `${run.id}: every search step stored, once`,
      );
    }
    const used = new Set(finished.map((r) => r.workerId));
    assert.equal(used.size, 3, `the six runs spread over the three workers: ${[...used].join(', ')}`);
  },
);
