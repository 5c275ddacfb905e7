import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { GatewayContext } from './graphql/context.js';

/** The HTTP side of the gateway: `/graphql`, `/healthz` and the dashboard. */
export async function createHttpServer(options: {
  schema: GraphQLSchema;
  context: () => GatewayContext;
  webDist?: string;
}): Promise<{ server: http.Server; apollo: ApolloServer<GatewayContext> }> {
  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);
  const apollo = new ApolloServer<GatewayContext>({
    schema: options.schema,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server })],
  });
  await apollo.start();

  // Liveness for launchers and load balancers: the process serves HTTP.
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, { context: async () => options.context() }),
  );
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
