// npm run bench -w @lrnas/gateway [-- --quick] [--sections ...] [--database postgres]
// 1. ingest: metric points a gateway's event ingestor stores per second from a backlog in JetStream,
//    against the raw driver's batched upsert of the same rows into the same table, on SQLite and on
//    PostgreSQL in one run (ratios side by side), with the split of the ingestor's time (ingest.ts);
// 2. queries: p50/p99 over HTTP of the leaderboard (four forms), the Pareto front, the run list
//    (filtered, sorted) and metricSeries at 10,000 runs, 100,000 evaluations and 10 million metric
//    points (seeded in bulk by the database through its raw driver), then event-to-subscriber latency
//    on that gateway while a client keeps querying it;
// 3. live: event-to-subscriber latency of an idle gateway: a metric event published to JetStream
//    until a graphql-ws client of the gateway receives it;
// 4. during-run: the same during a pipeline run, from the worker producing a point (during-run.ts);
// 5. client: metric points a program logs through @lrnas/client per second end to end (spool, HTTP,
//    logMetrics), against better-sqlite3's upsert of the same rows (client-logging.ts).
// --sections picks some of ingest, queries, live, during-run, client (default: all); --database postgres
// runs the queries on a throw-away PostgreSQL (infra/local) instead of SQLite; --quick: a tenth.
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
import { benchClientLogging } from './client-logging.js';
import { benchLatencyDuringRun } from './during-run.js';
import { benchIngestOn, metricRows, RUNNING, type IngestFigures } from './ingest.js';
import { signedBy } from './publish.js';
import { seedMetricPoints, seedResults } from './seed.js';
import { latencySummary, timeEachWithCpu } from './stats.js';

const SECTIONS = ['ingest', 'queries', 'live', 'during-run', 'client'] as const;
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
    note: 'gateway: the event ingestor from its start, with a backlog of metric events waiting in JetStream, to its last commit; raw: the same rows upserted by better-sqlite3 (a prepared statement per row) or pg (multi-row statements of 1,000 rows) into the same table, one transaction per 500 events; ratio = gateway rate / raw rate, of the medians of rounds taken in turn; split: milliseconds of all batches in decoding, applying (ORM and SQL), committing and settling (acks, live updates)',
  };
  const line = (name: string, f: IngestFigures) =>
    `ingest ${name}: ${f.points} points, gateway ${f.gatewayPointsPerSecond}/s, raw ${f.rawPointsPerSecond}/s, ratio ${f.ratio} (medians of ${f.rounds} rounds; round ratios ${f.roundRatios.join(', ')}); per round ${f.batches} batches, ms decode ${f.split.decode} apply ${f.split.apply} commit ${f.split.commit} settle ${f.split.settle}`;
  console.log(line('sqlite  ', sqlite));
  console.log(line('postgres', postgres));
}

/**
 * 2. Query latency over a database of 10,000 runs, 100,000 evaluations and 10 million metric points
 * (SQLite or PostgreSQL), then event-to-subscriber latency on that gateway while a client keeps
 * querying it.
 */
async function benchQueries(nc: NatsConnection, natsUrl: string): Promise<void> {
  const pg = flags.database === 'postgres' ? await startPostgres() : undefined;
  try {
    await benchQueriesOn(
      pg ? parseDatabaseUrl(pg.url) : { kind: 'sqlite', file: path.join(scratch, 'queries.sqlite') },
      nc,
      natsUrl,
    );
  } finally {
    await pg?.stop();
  }
}

/** Runs with metric points (1,000 points of 10 keys each): 10 million points at full scale. */
const METRIC_RUNS = Math.round(1000 * scale);

async function benchQueriesOn(target: DatabaseTarget, nc: NatsConnection, natsUrl: string): Promise<void> {
  const db = await openDatabase(target);
  const seedStart = performance.now();
  const seeded = await seedResults(db.orm.em.fork(), { runs: Math.round(10_000 * scale), evaluationsPerRun: 10 });
  await db.close();
  const points = await seedMetricPoints(target, { runs: METRIC_RUNS, keys: 10, steps: 1000 });
  const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;
  console.log(
    `seeded ${target.kind}: ${seeded.runs} runs, ${seeded.evaluations} evaluations (ORM bulk inserts), ${points} metric points (generated in bulk by the database through the raw driver) in ${seedSeconds} s`,
  );
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
  const board = 'dataset: CIFAR10, threatModel: { norm: LINF, epsilon: 0.031 }';
  let series = 0;
  const queries: Record<string, () => string> = {
    leaderboard: () => `{ leaderboard(${board}) { rank robustAccuracy params run { id } } }`,
    leaderboardWithBudget: () => `{ leaderboard(${board}, maxParams: 1000000) { rank robustAccuracy } }`,
    leaderboardOneAttack: () => `{ leaderboard(${board}, attack: PGD) { rank robustAccuracy params run { id } } }`,
    leaderboardWithSuites: () =>
      `{ leaderboard(${board}) { rank architecture { hash params } run { id status } decisive { attack robustAccuracy } suite { attack robustAccuracy cleanAccuracy } } }`,
    paretoFront: () => `{ paretoFront(${board}) { rank params robustAccuracy run { id } } }`,
    runListFilteredByStatusAndTag: () =>
      '{ runs(first: 20, filter: { statuses: [SUCCEEDED], tags: ["bench"] }) { totalCount edges { node { id status architecture { params } } } } }',
    runListSortedByParams: () =>
      '{ runs(first: 20, orderBy: { field: PARAMS, direction: ASC }, filter: { params: { max: 2000000 } }) { edges { cursor node { id } } } }',
    // Each call another run's 10 series of 1,000 points, thinned to 500.
    metricSeries: () =>
      `{ metricSeries(runId: "run-${(series = (series + 7) % METRIC_RUNS)}", maxPoints: 500) { key totalPoints points { step value } } }`,
  };
  const n = flags.quick ? 10 : 100;
  const figures: Record<string, unknown> = {
    runs: seeded.runs,
    evaluations: seeded.evaluations,
    metricPoints: points,
    seededSeconds: seedSeconds,
  };
  for (const [name, query] of Object.entries(queries)) {
    const timed = await timeEachWithCpu(n, () => post(query()));
    const [wall, cpu] = [latencySummary(timed.wall), latencySummary(timed.cpu)];
    figures[name] = { ...wall, cpu };
    console.log(
      `query ${target.kind} ${name}: p50 ${wall.p50} ms, p99 ${wall.p99} ms (n ${wall.n}); CPU of this process p50 ${cpu.p50} ms, p99 ${cpu.p99} ms`,
    );
  }
  // Under load: a client keeps sending the queries above, one after another, meanwhile.
  let querying = true;
  const names = Object.keys(queries);
  const load = (async () => {
    for (let i = 0; querying; i++) await post(queries[names[i % names.length]!]!());
  })();
  try {
    const live = await liveLatency(nc, gateway, 'run-live-loaded');
    figures.eventToSubscriberUnderQueryLoad = live;
    console.log(
      `event to subscriber ${target.kind}, ${points} metric points stored, queries running: p50 ${live.p50} ms, p99 ${live.p99} ms (n ${live.n})`,
    );
  } finally {
    querying = false;
    await load;
  }
  await gateway.stop();
  results.queries = figures;
}

/** 3. Event-to-subscriber latency of an idle gateway over an empty database. */
async function benchLiveLatency(natsUrl: string, nc: NatsConnection): Promise<void> {
  const gateway = await gatewayOn(path.join(scratch, 'live.sqlite'), natsUrl);
  try {
    results.eventToSubscriber = await liveLatency(nc, gateway, 'run-live');
    console.log('event to subscriber (ms)', results.eventToSubscriber);
  } finally {
    await gateway.stop();
  }
}

/**
 * Milliseconds from publishing a metric event to JetStream until a graphql-ws client of `gateway`
 * following the run receives its point: JetStream, ingestion, commit, live update and graphql-ws.
 */
async function liveLatency(
  nc: NatsConnection,
  gateway: GatewayHandle,
  runId: string,
): Promise<ReturnType<typeof latencySummary>> {
  const em = gateway.db.orm.em.fork();
  const { team, key } = await createTeamWithKey(em, runId);
  const experiment = em.create(Experiment, {
    id: `exp-${runId}`,
    team,
    name: 'l',
    dataset: 'mnist',
    threatNorm: 'linf',
    threatEpsilon: 0.3,
  });
  const { eventKey } = em.create(Run, { id: runId, experiment, kind: RunKind.SEARCH, config: {}, seed: 1, ...RUNNING });
  await em.flush();
  const client = createClient({
    url: `${gateway.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
  });
  const listenersBefore = gateway.live.listeners;
  const stream = client.iterate<{ metricsAdded: { series: { points: { step: number }[] }[] } }>({
    query: `subscription { metricsAdded(runId: "${runId}") { series { points { step } } } }`,
  });
  try {
    while (gateway.live.listeners === listenersBefore) await new Promise((r) => setTimeout(r, 10));
    const samples: number[] = [];
    const n = flags.quick ? 20 : 100;
    for (let step = 0; step < n; step++) {
      const start = performance.now();
      const data = eventCodec.encode({
        v: 1,
        runId,
        attempt: 1,
        seq: step,
        time: new Date().toISOString(),
        type: 'metric',
        points: [{ key: 'live/x', step, value: step }],
      });
      await nc.jetstream().publish(eventSubject(runId, 'metric'), data, signedBy(eventKey!, data));
      for (;;) {
        const next = await stream.next();
        if (next.done) throw new Error('subscription ended');
        if (next.value.data?.metricsAdded.series.some((s) => s.points.some((p) => p.step === step))) break;
      }
      samples.push(performance.now() - start);
    }
    return latencySummary(samples);
  } finally {
    await stream.return?.();
    await client.dispose();
  }
}

const server = await startNatsServer({ dataDir: path.join(scratch, 'nats') });
const admin = natsLogin(server, 'admin');
const nc = await connect({ servers: server.url, ...loginOptions(admin) });
try {
  await ensureTopology(await nc.jetstreamManager());
  if (sections.includes('ingest')) await benchIngest(nc);
  if (sections.includes('queries')) await benchQueries(nc, server.url);
  if (sections.includes('live')) await benchLiveLatency(server.url, nc);
  if (sections.includes('during-run')) {
    results.eventToSubscriberDuringRun = await benchLatencyDuringRun(server, scratch, flags.quick);
    console.log('event to subscriber during a pipeline run (ms)', results.eventToSubscriberDuringRun);
  }
  if (sections.includes('client')) {
    const figures = await benchClientLogging(server, scratch, Math.round(20_000 * scale), quiet);
    results.clientLogging = {
      ...figures,
      note: 'client: a program logging through @lrnas/client (spool, HTTP, logMetrics of up to 10,000 points per call, SQLite) from the first log() to finish() resolving; raw: the same rows upserted by better-sqlite3, one transaction per 10,000 points; ratio = client rate / raw rate, of the medians of the rounds',
    };
    console.log(
      `client logging sqlite: ${figures.points} points, client ${figures.clientPointsPerSecond}/s end to end, raw ${figures.rawPointsPerSecond}/s, ratio ${figures.ratio} (medians of ${figures.rounds} rounds; round ratios ${figures.roundRatios.join(', ')})`,
    );
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
