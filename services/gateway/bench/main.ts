// npm run bench -w @lrnas/gateway [-- --quick]
// 1. metric points ingested per second from NATS into SQLite by the gateway, against a plain
//    better-sqlite3 batched insert of the same rows (ratio);
// 2. leaderboard and run-list query latency (p50, p99) over HTTP with 10,000 runs and 100,000
//    evaluations;
// 3. event-to-subscriber latency: a metric event published to JetStream until a graphql-ws
//    client of the gateway receives it;
// 4. the same during a pipeline run: from the worker producing a point to the client (during-run.ts).
// --sections picks some of ingest, queries, live, during-run (default: all); --database postgres
// runs the queries on a throw-away PostgreSQL (infra/local) instead of SQLite.
// Figures go to stdout and to bench-results/gateway-<time>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EVENTS_CONSUMER, EVENTS_STREAM, eventCodec, eventSubject } from '@lrnas/schema';
import { ensureTopology, loginOptions } from '@lrnas/schema/nats';
import { connect, headers, type MsgHdrs, type NatsConnection } from 'nats';
import { EVENT_SIGNATURE_HEADER, signEvent } from '@lrnas/schema/node';
import { startNatsServer } from '@lrnas/local/nats-server';
import { natsLogin } from '@lrnas/local/test-nats';
import { startPostgres } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import { openDatabase } from '../src/persistence/database.js';
import { startGateway, type GatewayHandle } from '../src/gateway.js';
import { Experiment, MetricPoint, Run, RunKind, RunStatus } from '../src/persistence/entities/index.js';
import { benchLatencyDuringRun } from './during-run.js';
import { seedResults } from './seed.js';
import { latencySummary, timeEach } from './stats.js';

const SECTIONS = ['ingest', 'queries', 'live', 'during-run'] as const;
const DATABASES = ['sqlite', 'postgres'] as const;
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string', default: SECTIONS.join(',') },
    database: { type: 'string', default: 'sqlite' },
  },
});
if (!(DATABASES as readonly string[]).includes(flags.database)) {
  throw new Error(`--database: unknown ${flags.database}; known: ${DATABASES.join(', ')}`);
}
const sections = flags.sections.split(',').map((s) => s.trim());
const unknown = sections.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length > 0) throw new Error(`--sections: unknown ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}`);
const scale = flags.quick ? 0.1 : 1;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-gateway-bench-'));
const quiet = (line: string) => {
  if (process.env.BENCH_LOG) console.error(line);
};
const results: Record<string, unknown> = {
  when: new Date().toISOString(),
  host: os.cpus()[0]?.model,
  cpus: os.cpus().length,
  database: flags.database,
};

async function gatewayOn(file: string | DatabaseTarget, natsUrl: string): Promise<GatewayHandle> {
  return startGateway(
    {
      port: 0,
      host: '127.0.0.1',
      natsUrl,
      natsLogin: natsLogin(server, 'gateway'),
      database: typeof file === 'string' ? { kind: 'sqlite', file } : file,
      api: { rateLimitPerMinute: 1_000_000, maxQueryComplexity: 1_000_000 },
    },
    quiet,
  );
}

async function drained(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (;;) {
    const info = await jsm.consumers.info(EVENTS_STREAM, EVENTS_CONSUMER);
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Publish options of an event signed as the worker holding the run's job signs it (the gateway refuses others). */
function signedBy(key: string, data: Uint8Array): { headers: MsgHdrs } {
  const signed = headers();
  signed.set(EVENT_SIGNATURE_HEADER, signEvent(key, data));
  return { headers: signed };
}

/** A run whose first attempt has started, as after its worker's RUNNING: the gateway takes its events. */
const RUNNING = { status: RunStatus.RUNNING, attempts: 1, lastAttempt: 1, lastSeq: 0, workerId: 'bench' } as const;

/** 1. Ingestion: events waiting in the stream, then a gateway starts and stores them all. */
async function benchIngest(nc: NatsConnection, natsUrl: string): Promise<void> {
  const events = Math.round(400 * scale);
  const perEvent = 500;
  const file = path.join(scratch, 'ingest.sqlite');
  const db = await openDatabase({ kind: 'sqlite', file });
  const em = db.orm.em.fork();
  const { team } = await createTeamWithKey(em, 'bench');
  const experiment = em.create(Experiment, {
    id: 'exp-bench',
    team,
    name: 'b',
    dataset: 'mnist',
    threatNorm: 'linf',
    threatEpsilon: 0.3,
  });
  const { eventKey } = em.create(Run, {
    id: 'run-bench',
    experiment,
    kind: RunKind.SEARCH,
    config: {},
    seed: 1,
    ...RUNNING,
  });
  const backlogRun = em.create(Run, {
    id: 'run-backlog',
    experiment,
    kind: RunKind.SEARCH,
    config: {},
    seed: 2,
    ...RUNNING,
  });
  await em.flush();
  await db.close();

  const rows: { key: string; step: number; value: number }[][] = [];
  for (let e = 0; e < events; e++) {
    rows.push(
      Array.from({ length: perEvent }, (_, i) => ({
        key: `m/${i % 10}`,
        step: e * 50 + Math.floor(i / 10),
        value: Math.sin(e + i),
      })),
    );
  }
  const encode = (runId: string) =>
    rows.map((points, e) =>
      eventCodec.encode({ v: 1, runId, attempt: 1, seq: e, time: new Date().toISOString(), type: 'metric', points }),
    );
  const encoded = encode('run-bench');
  const total = events * perEvent;
  // The gateway is up and idle; the clock runs from the first publish to the last commit, as a
  // worker streaming metrics would see it.
  const gateway = await gatewayOn(file, natsUrl);
  await gateway.nats.ready;
  const start = performance.now();
  const js = nc.jetstream();
  for (let e = 0; e < events; e += 20) {
    await Promise.all(
      encoded
        .slice(e, e + 20)
        .map((data) => js.publish(eventSubject('run-bench', 'metric'), data, signedBy(eventKey!, data))),
    );
  }
  const publishSeconds = (performance.now() - start) / 1000;
  await drained(nc);
  const seconds = (performance.now() - start) / 1000;
  const stored = await gateway.db.orm.em.fork().count(MetricPoint, {});
  await gateway.stop();
  if (stored !== total) throw new Error(`stored ${stored} points, expected ${total}`);

  // A backlog: the same rows for another run, waiting in the stream while no gateway runs, so that
  // the clock (from the gateway's start to the last commit) measures the gateway alone, not how fast
  // JetStream takes publishes on this machine.
  const backlog = encode('run-backlog');
  for (let e = 0; e < events; e += 20) {
    await Promise.all(
      backlog
        .slice(e, e + 20)
        .map((data) => js.publish(eventSubject('run-backlog', 'metric'), data, signedBy(backlogRun.eventKey!, data))),
    );
  }
  const backlogStart = performance.now();
  const backlogGateway = await gatewayOn(file, natsUrl);
  await drained(nc);
  const backlogSeconds = (performance.now() - backlogStart) / 1000;
  const backlogStored = await backlogGateway.db.orm.em.fork().count(MetricPoint, { run: 'run-backlog' });
  await backlogGateway.stop();
  if (backlogStored !== total) throw new Error(`stored ${backlogStored} backlog points, expected ${total}`);

  // The same rows, inserted by better-sqlite3 alone, in transactions of the gateway's batch size.
  const { default: Database } = await import('better-sqlite3');
  const plain = new Database(path.join(scratch, 'plain.sqlite'));
  plain.exec(
    'create table metric_points (id integer primary key autoincrement, run_id text not null, key text not null, step integer not null, value double, time datetime not null, unique (run_id, key, step))',
  );
  const insert = plain.prepare(
    'insert into metric_points (run_id, key, step, value, time) values (?, ?, ?, ?, ?) on conflict (run_id, key, step) do update set value = excluded.value, time = excluded.time',
  );
  const batch = plain.transaction((points: { key: string; step: number; value: number }[]) => {
    for (const p of points) insert.run('run-bench', p.key, p.step, p.value, Date.now());
  });
  const plainStart = performance.now();
  for (let i = 0; i < rows.length; i += 500) batch(rows.slice(i, i + 500).flat());
  const plainSeconds = (performance.now() - plainStart) / 1000;
  plain.close();
  results.ingest = {
    points: total,
    events,
    gatewayPointsPerSecond: Math.round(total / seconds),
    plainPointsPerSecond: Math.round(total / plainSeconds),
    ratio: Math.round((plainSeconds / seconds) * 1000) / 1000,
    publishSeconds: Math.round(publishSeconds * 100) / 100,
    drainSeconds: Math.round((seconds - publishSeconds) * 100) / 100,
    backlogPointsPerSecond: Math.round(total / backlogSeconds),
    backlogRatio: Math.round((plainSeconds / backlogSeconds) * 1000) / 1000,
    note: 'gateway: first publish to JetStream until the last batch is committed; plain: better-sqlite3 inserts alone, in transactions of 500 events; ratio = gateway rate / plain rate; publishSeconds: until JetStream acknowledged the last publish, drainSeconds: from then until the gateway had stored everything; backlog: the same rows waiting in the stream, from the start of a gateway (opening the database included) to its last commit',
  };
  console.log('ingest', results.ingest);
}

/** 2. Query latency over a database of 10,000 runs and 100,000 evaluations (SQLite or PostgreSQL). */
async function benchQueries(natsUrl: string): Promise<void> {
  const pg = flags.database === 'postgres' ? await startPostgres() : undefined;
  try {
    await benchQueriesOn(
      pg ? parseDatabaseUrl(pg.url) : { kind: 'sqlite', file: path.join(scratch, 'queries.sqlite') },
      natsUrl,
    );
  } finally {
    await pg?.stop();
  }
}

async function benchQueriesOn(target: DatabaseTarget, natsUrl: string): Promise<void> {
  const db = await openDatabase(target);
  const seeded = await seedResults(db.orm.em.fork(), { runs: Math.round(10_000 * scale), evaluationsPerRun: 10 });
  await db.close();
  const gateway = await gatewayOn(target, natsUrl);
  const post = async (query: string) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seeded.key}` },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };
  const n = flags.quick ? 10 : 50;
  const leaderboard = await timeEach(n, () =>
    post(
      '{ leaderboard(dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }) { rank robustAccuracy params run { id } } }',
    ),
  );
  const budgeted = await timeEach(n, () =>
    post(
      '{ leaderboard(dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }, maxParams: 1000000) { rank robustAccuracy } }',
    ),
  );
  const byAttack = await timeEach(n, () =>
    post(
      '{ leaderboard(dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }, attack: PGD) { rank robustAccuracy params run { id } } }',
    ),
  );
  const withSuites = await timeEach(n, () =>
    post(
      '{ leaderboard(dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }) { rank architecture { hash params } run { id status } decisive { attack robustAccuracy } suite { attack robustAccuracy cleanAccuracy } } }',
    ),
  );
  const pareto = await timeEach(n, () =>
    post(
      '{ paretoFront(dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }) { rank params robustAccuracy run { id } } }',
    ),
  );
  const runList = await timeEach(n, () =>
    post(
      '{ runs(first: 20, filter: { statuses: [SUCCEEDED], tags: ["bench"] }) { totalCount edges { node { id status architecture { params } } } } }',
    ),
  );
  const runsByParams = await timeEach(n, () =>
    post(
      '{ runs(first: 20, orderBy: { field: PARAMS, direction: ASC }, filter: { params: { max: 2000000 } }) { edges { cursor node { id } } } }',
    ),
  );
  await gateway.stop();
  results.queries = {
    runs: seeded.runs,
    evaluations: seeded.evaluations,
    leaderboard: latencySummary(leaderboard),
    leaderboardWithBudget: latencySummary(budgeted),
    leaderboardOneAttack: latencySummary(byAttack),
    leaderboardWithSuites: latencySummary(withSuites),
    paretoFront: latencySummary(pareto),
    runListFilteredByStatusAndTag: latencySummary(runList),
    runListSortedByParams: latencySummary(runsByParams),
  };
  console.log('queries (ms)', results.queries);
}

/** 3. Event-to-subscriber latency through JetStream, ingestion, commit and graphql-ws. */
async function benchLiveLatency(nc: NatsConnection, natsUrl: string): Promise<void> {
  const file = path.join(scratch, 'live.sqlite');
  const gateway = await gatewayOn(file, natsUrl);
  const em = gateway.db.orm.em.fork();
  const { team, key } = await createTeamWithKey(em, 'live');
  const experiment = em.create(Experiment, {
    id: 'exp-live',
    team,
    name: 'l',
    dataset: 'mnist',
    threatNorm: 'linf',
    threatEpsilon: 0.3,
  });
  const { eventKey } = em.create(Run, {
    id: 'run-live',
    experiment,
    kind: RunKind.SEARCH,
    config: {},
    seed: 1,
    ...RUNNING,
  });
  await em.flush();
  const client = createClient({
    url: `${gateway.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  const stream = client.iterate<{ metricsAdded: { series: { points: { step: number }[] }[] } }>({
    query: 'subscription { metricsAdded(runId: "run-live") { series { points { step } } } }',
  });
  while (gateway.live.listeners === 0) await new Promise((r) => setTimeout(r, 10));
  const samples: number[] = [];
  const n = flags.quick ? 20 : 100;
  for (let step = 0; step < n; step++) {
    const start = performance.now();
    const event = {
      v: 1 as const,
      runId: 'run-live',
      attempt: 1,
      seq: step,
      time: new Date().toISOString(),
      type: 'metric' as const,
      points: [{ key: 'live/x', step, value: step }],
    };
    const data = eventCodec.encode(event);
    await nc.jetstream().publish(eventSubject('run-live', 'metric'), data, signedBy(eventKey!, data));
    for (;;) {
      const next = await stream.next();
      if (next.done) throw new Error('subscription ended');
      if (next.value.data?.metricsAdded.series.some((s) => s.points.some((p) => p.step === step))) break;
    }
    samples.push(performance.now() - start);
  }
  await stream.return?.();
  await client.dispose();
  await gateway.stop();
  results.eventToSubscriber = latencySummary(samples);
  console.log('event to subscriber (ms)', results.eventToSubscriber);
}

const server = await startNatsServer({ dataDir: path.join(scratch, 'nats') });
const admin = natsLogin(server, 'admin');
const nc = await connect({ servers: server.url, ...loginOptions(admin) });
try {
  await ensureTopology(await nc.jetstreamManager());
  if (sections.includes('ingest')) await benchIngest(nc, server.url);
  if (sections.includes('queries')) await benchQueries(server.url);
  if (sections.includes('live')) await benchLiveLatency(nc, server.url);
  if (sections.includes('during-run')) {
    results.eventToSubscriberDuringRun = await benchLatencyDuringRun(server, scratch, flags.quick);
    console.log('event to subscriber during a pipeline run (ms)', results.eventToSubscriberDuringRun);
  }
  const out = fileURLToPath(new URL('../bench-results/', import.meta.url));
  fs.mkdirSync(out, { recursive: true });
  const target = path.join(out, `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(target, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${target}`);
} finally {
  await nc.close();
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}
