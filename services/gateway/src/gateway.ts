import type { AddressInfo } from 'node:net';
import { bootstrapFirstTeam } from './auth/bootstrap.js';
import { LimitBuckets, SharedRateLimiter, SubscriptionQuota } from './auth/shared-limits.js';
import {
  DEFAULT_API_SETTINGS,
  DEFAULT_CHECKPOINT_RETENTION_MS,
  type ApiSettings,
  type GatewayConfig,
} from './config.js';
import { openDatabase, type Database } from './persistence/database.js';
import { makeContextFactory, makeSocketContext } from './graphql/request-context.js';
import { buildGatewaySchema } from './graphql/schema.js';
import { createHttpServer } from './http.js';
import { sweepInterval } from './domain/retention.js';
import { CheckpointSweeper } from './ingest/checkpoint-sweeper.js';
import { DEFAULT_LOST_RUN_TIMEOUT_MS, LostRunSweeper } from './logged-runs/lost-runs.js';
import { EventIngestor } from './ingest/event-ingestor.js';
import { IngestProgress } from './ingest/ingest-progress.js';
import { JobFailureWatcher } from './ingest/job-failures.js';
import { LiveUpdates, updatesOf } from './live/updates.js';
import { GatewayMetrics } from './health/prometheus.js';
import { startMetricsServer } from './health/prometheus-access.js';
import { NatsLink } from './nats-link.js';

/** A running gateway. */
export interface GatewayHandle {
  readonly url: string;
  readonly port: number;
  /** The listener of LRNAS_METRICS_PORT, when there is one: `${metricsUrl}/metrics`. */
  readonly metricsUrl?: string;
  readonly db: Database;
  readonly nats: NatsLink;
  /** Live updates shared with the other replicas (what subscriptions listen to). */
  readonly live: LiveUpdates;
  /** How far the replicas have stored the event stream. */
  readonly ingest: IngestProgress;
  stop(): Promise<void>;
}

/** Opens the database, starts connecting to NATS and serves HTTP; resolves once listening. */
export async function startGateway(
  config: GatewayConfig,
  log: (line: string) => void = console.log,
): Promise<GatewayHandle> {
  const api: ApiSettings = { ...DEFAULT_API_SETTINGS, ...config.api };
  const db = await openDatabase(config.database);
  const nats = new NatsLink(config.natsUrl, log, { replicas: config.natsReplicas ?? 1 }, config.natsLogin);
  const metrics = new GatewayMetrics(nats, db.orm, log);
  const live = new LiveUpdates(nats, log);
  const ingest = new IngestProgress(nats, log);
  const listening = live.start();
  const limitBuckets = new LimitBuckets(nats, config.natsReplicas ?? 1);
  const limiter = new SharedRateLimiter(api.rateLimitPerMinute, limitBuckets, log);
  const quota = new SubscriptionQuota(api.maxSubscriptionsPerKey, limitBuckets, log);
  quota.start();
  // Ingestion starts once NATS is reachable; events wait in their durable consumer until then.
  const ingestor = listening.then(() => {
    const connection = nats.connection;
    if (!connection) return undefined;
    const started = new EventIngestor(connection, db.orm, log, (changes) => live.publish(updatesOf(changes)), {
      lockRuns: db.kind === 'postgresql',
      onStored: (events) => metrics.ingested(events),
      onRefused: (reason) => metrics.refused(reason),
      ...(config.unstartedEventDeferrals !== undefined ? { unstartedDeferrals: config.unstartedEventDeferrals } : {}),
    });
    started.start();
    const watcher = new JobFailureWatcher(
      connection,
      db.orm,
      log,
      (run) => live.publish([{ type: 'run', runId: run.id, experimentId: run.experiment.id }]),
      config.natsReplicas ?? 1,
    );
    watcher.start();
    const retentionMs = config.checkpointRetentionMs ?? DEFAULT_CHECKPOINT_RETENTION_MS;
    const sweeper = new CheckpointSweeper(db.orm, nats, retentionMs, log, (runs) =>
      live.publish(runs.map((r) => ({ type: 'run', ...r }))),
    );
    sweeper.start(config.checkpointSweepMs ?? sweepInterval(retentionMs));
    const lostRuns = new LostRunSweeper(db.orm, config.lostRunTimeoutMs ?? DEFAULT_LOST_RUN_TIMEOUT_MS, log, (runs) =>
      live.publish(runs.map((r) => ({ type: 'run', ...r }))),
    );
    lostRuns.start(config.lostRunSweepMs);
    return {
      stop: async () => {
        await lostRuns.stop();
        await sweeper.stop();
        await watcher.stop();
        await started.stop();
      },
    };
  });
  let metricsServer: { url: string; close: () => Promise<void> } | undefined;
  try {
    if (api.bootstrapKey) {
      const team = await bootstrapFirstTeam(db.orm.em.fork(), api.bootstrapKey, api.bootstrapTeam);
      if (team) log(`created team ${team.name} with the key of LRNAS_BOOTSTRAP_KEY`);
    }
    const schema = await buildGatewaySchema();
    const { server, apollo } = await createHttpServer({
      schema,
      context: makeContextFactory({ db, nats, api, live, ingest, limiter }),
      sockets: makeSocketContext({ db, nats, api, live, ingest, quota }),
      limits: { maxDepth: api.maxQueryDepth, maxComplexity: api.maxQueryComplexity },
      log,
      metrics,
      metricsAccess: config.metrics ?? {},
      ...(config.webDist ? { webDist: config.webDist } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    log(`gateway listening on port ${port} (database: ${db.kind})`);
    if (config.metrics?.port !== undefined) {
      metricsServer = await startMetricsServer(metrics, config.metrics.port, config.metrics.host ?? config.host);
      log(`metrics on ${metricsServer.url}/metrics`);
    }
    const metricsUrl = metricsServer?.url;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      ...(metricsUrl ? { metricsUrl } : {}),
      db,
      nats,
      live,
      ingest,
      stop: async () => {
        await metricsServer?.close();
        ingest.stop();
        await apollo.stop();
        await quota.stop();
        nats.stopConnecting();
        await (await ingestor)?.stop();
        live.stop();
        await nats.close();
        await db.close();
      },
    };
  } catch (error) {
    await metricsServer?.close();
    await quota.stop();
    nats.stopConnecting();
    await (await ingestor)?.stop();
    await nats.close();
    await db.close();
    throw error;
  }
}
