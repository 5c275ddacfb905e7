// 4. Event-to-subscriber latency during a run: a worker process runs a pipeline through this gateway
// (the engine busy on every core), and a graphql-ws client follows the run's metricsAdded. Each point
// carries the time the worker produced it; the client's clock is the same machine's, so its arrival
// time minus that time is the whole path: the worker's publish, JetStream, ingestion, commit and
// graphql-ws.
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { NatsServerHandle } from '@lrnas/local/nats-server';
import { natsLogin, natsLoginFlags } from '@lrnas/local/test-nats';
import { gql, ok } from '@lrnas/test-kit/graphql';
import { startPipelineInput, tinyPipelineJob } from '@lrnas/test-kit/tiny-jobs';
import { spawnWorkerProcess, tailOf } from '@lrnas/test-kit/worker-process';
import { createTeamWithKey } from '../src/auth/bootstrap.js';
import { startGateway } from '../src/gateway.js';
import { latencySummary } from './stats.js';

interface PointsMessage {
  metricsAdded: { series: { points: { time: string }[] }[] };
}

/** Runs a pipeline and returns the latency of its metric points at a subscriber, in milliseconds. */
export async function benchLatencyDuringRun(
  server: NatsServerHandle,
  scratch: string,
  quick: boolean,
): Promise<ReturnType<typeof latencySummary> & { max: number; runSeconds: number }> {
  const gateway = await startGateway(
    {
      port: 0,
      host: '127.0.0.1',
      natsUrl: server.url,
      natsLogin: natsLogin(server, 'gateway'),
      database: { kind: 'sqlite', file: path.join(scratch, 'during-run.sqlite') },
    },
    () => {},
  );
  const worker = spawnWorkerProcess([
    ...['--nats-url', server.url, ...natsLoginFlags(server, 'worker'), '--id', 'bench-w'],
    ...['--data-dir', scratch, '--work-dir', path.join(scratch, 'during-run-work')],
  ]);
  let key = '';
  const client = createClient({
    url: `${gateway.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authorization: `Bearer ${key}` }),
  });
  try {
    await gateway.nats.ready;
    ({ key } = await createTeamWithKey(gateway.db.orm.em.fork(), 'during-run'));
    const q = async <T>(query: string, variables: Record<string, unknown> = {}) =>
      ok(await gql<T>(gateway.url, query, variables, key));
    const { createExperiment } = await q<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "latency", dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 } }) { id } }',
    );
    const job = tinyPipelineJob('latency', quick ? {} : { trainLimit: 192, searchEpochs: 3, trainEpochs: 2 });
    const { startPipeline } = await q<{ startPipeline: { id: string } }>(
      'mutation($input: StartPipelineInput!) { startPipeline(input: $input) { id } }',
      { input: startPipelineInput(job, createExperiment.id) },
    );
    // The subscription completes when the run ends (after its last points).
    const points = client.iterate<PointsMessage>({
      query: `subscription { metricsAdded(runId: "${startPipeline.id}") { series { points { time } } } }`,
    });
    const began = performance.now();
    const samples: number[] = [];
    const following = (async () => {
      for await (const message of points) {
        const arrived = Date.now();
        if (message.errors) throw new Error(`subscription errors: ${JSON.stringify(message.errors)}`);
        for (const series of message.data!.metricsAdded.series)
          for (const point of series.points) samples.push(arrived - Date.parse(point.time));
      }
    })();
    const workerGone = worker.exited.then(({ code }) => {
      throw new Error(`the worker exited (code ${code}) during the run:\n${tailOf([worker])}`);
    });
    await Promise.race([following, workerGone]);
    workerGone.catch(() => {}); // the worker is stopped below, once the run is over
    const runSeconds = Math.round((performance.now() - began) / 100) / 10;
    const { run } = await q<{ run: { status: string } }>(`{ run(id: "${startPipeline.id}") { status } }`);
    if (run.status !== 'SUCCEEDED') throw new Error(`the run ended ${run.status}:\n${tailOf([worker])}`);
    return { ...latencySummary(samples), max: Math.max(...samples), runSeconds };
  } finally {
    await client.dispose();
    worker.child.kill('SIGTERM');
    await worker.exited;
    await gateway.stop();
  }
}
