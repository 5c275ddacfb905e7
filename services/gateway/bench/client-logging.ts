// 5. Client-logged metric points end to end: a program logs points through @lrnas/client to a
// gateway (its spool file, HTTP, GraphQL logMetrics, one transaction per call of up to 10,000
// points, SQLite), timed from the first log() to finish() resolving, when the gateway has
// acknowledged every point. Against it: the same rows upserted by better-sqlite3 into the same
// table, one transaction per 10,000 points, as the client's calls are.
import fs from 'node:fs';
import path from 'node:path';
import { Hub } from '@lrnas/client';
import type { NatsServerHandle } from '@lrnas/local/nats-server';
import { natsLogin } from '@lrnas/local/test-nats';
import { startGateway } from '../src/gateway.js';
import { MetricPoint } from '../src/persistence/entities/index.js';
import { rawSqlite, type Point } from './ingest.js';
import { percentile } from './stats.js';

const KEY = 'bench-client-key-0123456789abcdefghijklm';
const KEYS = 10;
const ROUNDS = 3;

export interface ClientLoggingFigures {
  points: number;
  rounds: number;
  clientPointsPerSecond: number;
  rawPointsPerSecond: number;
  /** Client rate over raw rate, of the medians of the rounds. */
  ratio: number;
  roundRatios: number[];
}

/** `steps` steps of 10 keys: a training loop's log() calls, one per step. */
function stepsOf(steps: number): Point[][] {
  return Array.from({ length: steps }, (_, step) =>
    Array.from({ length: KEYS }, (_, k) => ({ key: `m/${k}`, step, value: Math.sin(step + k) })),
  );
}

export async function benchClientLogging(
  server: NatsServerHandle,
  dir: string,
  steps: number,
  log: (line: string) => void,
): Promise<ClientLoggingFigures> {
  const file = path.join(dir, 'client-logging.sqlite');
  const gateway = await startGateway(
    {
      port: 0,
      host: '127.0.0.1',
      natsUrl: server.url,
      natsLogin: natsLogin(server, 'gateway'),
      database: { kind: 'sqlite', file },
      api: { bootstrapKey: KEY, bootstrapTeam: 'bench client', rateLimitPerMinute: 1_000_000 },
    },
    log,
  );
  try {
    await gateway.nats.ready;
    const answer = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        query:
          'mutation { createExperiment(input: { name: "client bench", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 } }) { id } }',
      }),
    });
    const experimentId = ((await answer.json()) as { data: { createExperiment: { id: string } } }).data.createExperiment
      .id;
    const hub = new Hub({ url: gateway.url, apiKey: KEY, spoolDir: path.join(dir, 'spool'), onError: () => {} });
    const rows = stepsOf(steps);
    const total = steps * KEYS;
    const rawTimes: number[] = [];
    const clientTimes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // The raw driver into a run of its own (made through the API, so its row exists), first.
      const rawRun = await hub.createRun({ experimentId, runId: `raw-${round}` });
      await rawRun.finish();
      rawTimes.push(rawSqlite(file, rawRun.id, rows, 10_000 / KEYS));
      const run = await hub.createRun({ experimentId, runId: `client-${round}` });
      const start = performance.now();
      for (const [step, points] of rows.entries()) {
        run.log(Object.fromEntries(points.map((p) => [p.key, p.value])), step);
      }
      await run.finish();
      clientTimes.push((performance.now() - start) / 1000);
      const stored = await gateway.db.orm.em.fork().count(MetricPoint, { run: run.id });
      if (stored !== total) throw new Error(`client logging stored ${stored} points, expected ${total}`);
    }
    const round = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;
    const rawSeconds = percentile(rawTimes, 50);
    const seconds = percentile(clientTimes, 50);
    return {
      points: total,
      rounds: ROUNDS,
      clientPointsPerSecond: Math.round(total / seconds),
      rawPointsPerSecond: Math.round(total / rawSeconds),
      ratio: round(rawSeconds / seconds, 3),
      roundRatios: rawTimes.map((raw, i) => round(raw / clientTimes[i]!, 2)),
    };
  } finally {
    await gateway.stop();
    fs.rmSync(path.join(dir, 'spool'), { recursive: true, force: true });
  }
}
