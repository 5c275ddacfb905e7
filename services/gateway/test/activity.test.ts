// What the dashboard's run page reads besides the API's tables: the run's logs and architecture-
// weight snapshots (replayed from the event stream, then live, over graphql-ws) and downloads of
// its artifacts from the object store; both refused to callers who may not read the run.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ARTIFACTS_BUCKET } from '@lrnas/schema';
import { useNatsServer } from '@lrnas/local/test-nats';
import type { GatewayHandle } from '../src/gateway.js';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { publishSignedEvent, type SignedEventInput } from './support/signed-events.js';
import { startTestGateway } from './support/test-gateway.js';

const nats = useNatsServer('lrnas-activity-');
const KEY = 'activity-test-key-0123456789abcdefghij';
/** The id the team chose for the run (lookups accept it); events go to its run id, `runBus`. */
const RUN = 'act-run';
let runBus: string;
const NAME = `${RUN}/report.json`;
const REPORT = JSON.stringify({ robust: 0.5 });

let seq = 0;

const matrix = (v: number) => Array.from({ length: 14 }, () => Array.from({ length: 8 }, () => v));

type Activity = {
  type: string;
  seq: number;
  level: string | null;
  message: string | null;
  epoch: number | null;
  alphas: unknown;
};
const ACTIVITY = `subscription($runId: ID!) { runActivity(runId: $runId) { type seq level message epoch alphas } }`;

describe('run activity and artifacts', () => {
  let gateway: GatewayHandle;
  const clients: Client[] = [];
  const publish = async (body: Record<string, unknown>) => {
    const event = { v: 1, runId: runBus, attempt: 1, seq: seq++, time: new Date().toISOString(), ...body };
    await publishSignedEvent(nats.nc, gateway.db.orm, event as SignedEventInput);
  };

  before(async () => {
    gateway = await startTestGateway(
      nats.server,
      { kind: 'sqlite', file: path.join(nats.dataDir, 'activity.sqlite') },
      { api: { bootstrapKey: KEY, bootstrapTeam: 'activity lab' } },
    );
    const { createExperiment } = ok(
      await gql<{ createExperiment: { id: string } }>(
        gateway.url,
        `mutation($input: CreateExperimentInput!) { createExperiment(input: $input) { id } }`,
        {
          input: {
            name: 'private',
            dataset: 'MNIST',
            threatModel: { norm: 'LINF', epsilon: 0.3 },
            parameterBudget: 9000,
          },
        },
        KEY,
      ),
    );
    runBus = ok(
      await gql<{ startSearch: { id: string } }>(
        gateway.url,
        `mutation($input: StartSearchInput!) { startSearch(input: $input) { id } }`,
        { input: { experimentId: createExperiment.id, runId: RUN } },
        KEY,
      ),
    ).startSearch.id;
    await publish({ type: 'status', status: 'RUNNING', stage: 'search' });
    await publish({ type: 'log', level: 'info', message: 'search started' });
    await publish({ type: 'snapshot', epoch: 0, alphas: { normal: matrix(0.1), reduce: matrix(0.2) } });
    await publish({ type: 'log', level: 'warn', message: 'slow epoch' });
    const store = await nats.nc.jetstream().views.os(ARTIFACTS_BUCKET);
    const info = await store.putBlob({ name: NAME }, new TextEncoder().encode(REPORT));
    await publish({ type: 'artifact', kind: 'report', name: NAME, digest: info.digest, size: info.size });
    // Wait until the gateway has stored the artifact row.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await gql<{ run: { artifacts: { name: string }[] } }>(
        gateway.url,
        `query($id: ID!) { run(id: $id) { artifacts { name } } }`,
        { id: RUN },
        KEY,
      );
      if (answer.data?.run.artifacts.length) break;
      if (Date.now() > deadline) assert.fail('the artifact event was not stored');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await gateway?.stop();
  });

  const connect = (key?: string) => {
    const client = createClient({
      url: gateway.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      connectionParams: key ? { authorization: `Bearer ${key}` } : {},
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  };

  test('the artifact downloads with a key of its team, byte for byte, and no further', async () => {
    const url = `${gateway.url}/artifacts/${RUN}?name=${encodeURIComponent(NAME)}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), REPORT);
    assert.match(response.headers.get('content-disposition')!, /attachment; filename="report.json"/);

    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 404, 'a private run is not found without its key');
    const unknown = await fetch(`${gateway.url}/artifacts/${RUN}?name=other`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /has no artifact "other"/);
    const noName = await fetch(`${gateway.url}/artifacts/${RUN}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(noName.status, 400);
    const badKey = await fetch(url, { headers: { authorization: 'Bearer lrnas_unknown-key-0123456789abcdef' } });
    assert.equal(badKey.status, 401);
  });

  test('logs and snapshots are replayed from the stream in order, then new ones arrive live', async () => {
    const stream = connect(KEY).iterate<{ runActivity: Activity }>({ query: ACTIVITY, variables: { runId: RUN } });
    const seen: Activity[] = [];
    const next = async () => {
      const result = await Promise.race([
        stream.next(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`timed out after ${JSON.stringify(seen)}`)), 10_000),
        ),
      ]);
      assert.ok(!result.done && result.value.data, JSON.stringify(result.value));
      seen.push(result.value.data.runActivity);
    };
    for (let i = 0; i < 3; i++) await next();
    assert.deepEqual(
      seen.map((a) => [a.type, a.level, a.message, a.epoch]),
      [
        ['log', 'info', 'search started', null],
        ['snapshot', null, null, 0],
        ['log', 'warn', 'slow epoch', null],
      ],
    );
    assert.deepEqual((seen[1]!.alphas as { reduce: number[][] }).reduce[13], Array(8).fill(0.2));
    await publish({ type: 'log', level: 'error', message: 'live line' });
    await next();
    assert.equal(seen[3]!.message, 'live line');
    await stream.return?.();
  });

  test('a caller who may not read the run gets NOT_FOUND', async () => {
    const stream = connect().iterate<{ runActivity: Activity }>({ query: ACTIVITY, variables: { runId: RUN } });
    const result = await stream.next();
    assert.ok(!result.done);
    assert.equal(result.value.errors?.[0]?.extensions?.code, 'NOT_FOUND');
  });
});
