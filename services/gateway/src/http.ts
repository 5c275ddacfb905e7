import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import { ErrorCode } from '@lrnas/schema';
import { artifactDownload } from './runs/artifact-download.js';
import { artifactUpload } from './logged-runs/artifact-upload.js';
import type { MetricsAccess } from './config.js';
import type { GatewayMetrics } from './health/prometheus.js';
import { metricsOnApiPort } from './health/prometheus-access.js';
import type { GatewayContext } from './graphql/context.js';
import { makeErrorFormatter } from './graphql/errors.js';
import { legacyJsonStatusPlugin } from './graphql/http-status.js';
import { queryLimitsPlugin } from './graphql/limits.js';
import { serveSubscriptions, type SocketOptions } from './live/ws-server.js';

/** The HTTP side of the gateway: `/graphql`, `/healthz` and the dashboard. */
export async function createHttpServer(options: {
  schema: GraphQLSchema;
  context: (req: http.IncomingMessage) => Promise<GatewayContext>;
  limits: { maxDepth: number; maxComplexity: number };
  log: (line: string) => void;
  /** Subscriptions over graphql-ws at `/graphql`. */
  sockets: Pick<SocketOptions, 'authenticate' | 'context' | 'quota'>;
  /** Served at /metrics (to holders of the metrics token); counts every GraphQL error. */
  metrics: GatewayMetrics;
  metricsAccess: MetricsAccess;
  webDist?: string;
}): Promise<{ server: http.Server; apollo: ApolloServer<GatewayContext> }> {
  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);
  const formatOne = makeErrorFormatter(options.log);
  // Every error leaves through here (HTTP and subscriptions), with its final code: count it.
  const formatError: typeof formatOne = (formatted, error) => {
    const out = formatOne(formatted, error);
    options.metrics.graphqlError(String(out.extensions?.code ?? ErrorCode.INTERNAL));
    return out;
  };
  const closeSockets = serveSubscriptions(server, {
    ...options.sockets,
    schema: options.schema,
    limits: options.limits,
    format: (error) => formatError(error.toJSON(), error),
  });
  const apollo = new ApolloServer<GatewayContext>({
    schema: options.schema,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // Apollo installs cache control by default, which wraps every field's resolver to collect
      // cache hints the gateway never sets (its answers are per key, never HTTP-cached).
      ApolloServerPluginCacheControlDisabled(),
      queryLimitsPlugin(options.limits),
      legacyJsonStatusPlugin(),
      { serverWillStart: async () => ({ drainServer: closeSockets }) },
    ],
    formatError,
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  // Liveness for launchers and load balancers: the process serves HTTP.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/metrics', metricsOnApiPort(options.metrics, options.metricsAccess));
  app.use(
    '/graphql',
    // A logMetrics batch of 10,000 points with long keys and times is about 2 MB of JSON.
    express.json({ limit: '4mb' }),
    expressMiddleware(apollo, { context: ({ req }) => options.context(req) }),
  );
  app.use('/graphql', rejectUnreadableBodies);
  app.get('/artifacts/:runId', artifactDownload(options.context, options.log));
  app.put('/artifacts/:runId', artifactUpload(options.context, options.log));
  if (options.webDist && fs.existsSync(path.join(options.webDist, 'index.html'))) {
    const dist = path.resolve(options.webDist);
    app.use(express.static(dist, { index: 'index.html', maxAge: '1h' }));
    // Client-side routes of the dashboard all load its single page.
    app.get(/^\/(?!graphql).*/, (_req, res) => {
      res.sendFile(path.join(dist, 'index.html'));
    });
  }
  return { server, apollo };
}

/**
 * Body-parser failures (invalid JSON, a body over the limit) become GraphQL-shaped errors with a
 * stable code, instead of Express's default HTML page with a stack trace.
 */
const rejectUnreadableBodies: express.ErrorRequestHandler = (
  error: { type?: string; message?: string },
  _req,
  res,
  next,
) => {
  const reasons: Record<string, [number, string]> = {
    'entity.parse.failed': [400, `request body is not valid JSON (${error.message ?? ''})`],
    'entity.too.large': [413, 'request body is larger than 1 MB'],
  };
  const known = error.type ? reasons[error.type] : undefined;
  if (!known) {
    next(error);
    return;
  }
  const [status, message] = known;
  res.status(status).json({ errors: [{ message, extensions: { code: ErrorCode.BAD_INPUT } }] });
};
