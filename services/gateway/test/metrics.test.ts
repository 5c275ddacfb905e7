// The gateway's /metrics against a real nats-server and SQLite: queue depth, runs, workers,
// ingestion and GraphQL errors, as Prometheus reads them.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { useNatsServer } from '@lrnas/local/test-nats';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import type { GatewayHandle } from '../src/gateway.js';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { publishSignedEvent } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-gateway-metrics-');
let gateway: GatewayHandle;
const TOKEN = 'metrics-token-of-the-operator-0123456789';
async function scrape(): Promise<(name: string) => number | undefined> {
  const response = await fetch(`${gateway.metricsUrl!}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  return (name) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.slice(name.length + 1));
  };
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('gateway metrics', () => {
  before(async () => {
    gateway = await startTestGateway(
      nats.server,
      { kind: 'sqlite', file: path.join(nats.dataDir, 'metrics.sqlite') },
      { metrics: { port: 0, token: TOKEN } },
    );
  });
  after(async () => {
    await gateway?.stop();
  });
  test('/metrics reports the queue, runs, workers, ingestion and GraphQL errors', reportsEverything);
  test('/metrics on the API port answers only the metrics token', async () => {
    const wrong: Record<string, string>[] = [
      {},
      { authorization: 'Bearer not-the-token' },
      { authorization: `Bearer ${TOKEN}x` },
    ];
    for (const headers of wrong) {
      const refused = await fetch(`${gateway.url}/metrics`, { headers });
      assert.equal(refused.status, 404, JSON.stringify(headers));
      assert.doesNotMatch(await refused.text(), /lrnas_/);
    }
    const allowed = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(allowed.status, 200);
    assert.match(await allowed.text(), /^lrnas_runs\{status="QUEUED"\} /m);
    // The metrics listener serves nothing else: not the API, not the dashboard.
    assert.equal((await fetch(`${gateway.metricsUrl!}/graphql`)).status, 404);
  });
});

test('without LRNAS_METRICS_PORT or LRNAS_METRICS_TOKEN no one reads /metrics', async () => {
  const closed = await startTestGateway(nats.server, {
    kind: 'sqlite',
    file: path.join(nats.dataDir, 'closed.sqlite'),
  });
  try {
    assert.equal(closed.metricsUrl, undefined);
    const response = await fetch(`${closed.url}/metrics`);
    assert.equal(response.status, 404);
    assert.doesNotMatch(await response.text(), /lrnas_/);
  } finally {
    await closed.stop();
  }
});

async function reportsEverything(): Promise<void> {
  const before = await scrape();
  assert.equal(before('lrnas_jobs_pending'), 0);
  assert.equal(before('lrnas_workers'), 0);
  assert.equal(before('lrnas_runs{status="QUEUED"}'), 0);
  assert.ok((before('process_resident_memory_bytes') ?? 0) > 0, 'Node process metrics too');

  const { key } = await createTeamWithKey(gateway.db.orm.em.fork(), 'metrics');
  const experiment = ok(
    await gql<{ createExperiment: { id: string } }>(
      gateway.url,
      'mutation { createExperiment(input: { name: "m", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }, parameterBudget: 1000000 }) { id } }',
      {},
      key,
    ),
  ).createExperiment.id;
  const start = `mutation { startSearch(input: { experimentId: "${experiment}", runId: "run-m" }) { id } }`;
  const runId = ok(await gql<{ startSearch: { id: string } }>(gateway.url, start, {}, key)).startSearch.id;
  const queued = await scrape();
  assert.equal(queued('lrnas_jobs_pending'), 1, 'the job waits for a worker');
  assert.equal(queued('lrnas_jobs_running'), 0);
  assert.equal(queued('lrnas_runs{status="QUEUED"}'), 1);

  // A worker's first event is written and counted.
  const running = { v: 1, runId, attempt: 1, seq: 0, time: new Date().toISOString(), type: 'status' };
  await publishSignedEvent(nats.nc, gateway.db.orm, { ...running, status: 'RUNNING' });
  await eventually(async () => (await scrape())('lrnas_events_ingested_total{type="status"}') === 1, 'ingestion');
  const ingested = await scrape();
  assert.equal(ingested('lrnas_runs{status="RUNNING"}'), 1);
  assert.equal(ingested('lrnas_events_pending'), 0);
  assert.ok((ingested('lrnas_ingest_lag_seconds') ?? -1) >= 0);

  // Errors are counted by the code the caller sees.
  await gql(gateway.url, '{ noSuchField }', {}, key);
  await gql(gateway.url, '{ run(id: "no-such-run") { id } }', {}, key);
  const errors = await scrape();
  assert.equal(errors('lrnas_graphql_errors_total{code="BAD_INPUT"}'), 1, 'an invalid query');
  assert.equal(errors('lrnas_graphql_errors_total{code="NOT_FOUND"}'), 1);
}
