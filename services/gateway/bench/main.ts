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
import { eventCodec, eventSubject } from '@lrnas/schema';
import { ensureTopology, loginOptions } from '@lrnas/schema/nats';
import { connect, type NatsConnection } from 'nats';
import { startNatsServer } from '@lrnas/local/nats-server';
import { natsLogin } from '@lrnas/local/test-nats';
import { startPostgres } from '@lrnas/local/postgres';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/config.js';
import { openDatabase } from '../src/persistence/database.js';
import { startGateway, type GatewayHandle } from '../src/gateway.js';
import { Experiment, Run, RunKind } from '../src/persistence/entities/index.js';
import { benchLatencyDuringRun } from './during-run.js';
import { benchIngestOn, metricRows, RUNNING, type IngestFigures } from './ingest.js';
import { signedBy } from './publish.js';
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

/** 1. Ingestion of the same backlog by the gateway and by the raw driver, on SQLite and on PostgreSQL. */
async function benchIngest(nc: NatsConnection): Promise<void> {
  const rows = metricRows(Math.round(400 * scale), 500);
  const sqlite = await benchIngestOn(
    { kind: 'sqlite', file: path.join(scratch, 'ingest.sqlite') },
    server,
    nc,
    rows,
    quiet,
  );
  const pg = await startPostgres();
  let postgres: IngestFigures;
  try {
    postgres = await benchIngestOn(parseDatabaseUrl(pg.url), server, nc, rows, quiet);
  } finally {
    await pg.stop();
  }
  results.ingest = {
    sqlite,
    postgres,
    note: 'gateway: the event ingestor from its start, with a backlog of metric events waiting in JetStream, to its last commit; raw: the same rows upserted by better-sqlite3 (a prepared statement per row) or pg (multi-row statements of 1,000 rows) into the same table, one transaction per 500 events; ratio = gateway rate / raw rate; split: milliseconds of all batches in decoding, applying (ORM and SQL), committing and settling (acks, live updates)',
  };
  const line = (name: string, f: IngestFigures) =>
    `ingest ${name}: ${f.points} points, gateway ${f.gatewayPointsPerSecond}/s, raw ${f.rawPointsPerSecond}/s, ratio ${f.ratio}; ${f.batches} batches, ms decode ${f.split.decode} apply ${f.split.apply} commit ${f.split.commit} settle ${f.split.settle}`;
  console.log(line('sqlite  ', sqlite));
  console.log(line('postgres', postgres));
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
  if (sections.includes('ingest')) await benchIngest(nc);
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
