import path from 'node:path';
import { Readable } from 'node:stream';
import type express from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import type { GatewayContext } from './graphql/context.js';
import { Artifact } from './persistence/entities/index.js';
import { readableRun } from './queries/readable.js';

/**
 * `GET /artifacts/:runId?name=<artifact name>`: the stored file of a run (trained weights, report,
 * genotype, checkpoint) from the JetStream object store, for callers who may read the run (the
 * Authorization header as for `/graphql`). Only names the run reported as artifacts are served.
 */
export function artifactDownload(context: (req: express.Request) => Promise<GatewayContext>): express.RequestHandler {
  return async (req, res) => {
    const fail = (status: number, code: string, message: string) =>
      res.status(status).json({ error: { code, message } });
    try {
      const ctx = await context(req);
      const runId = String(req.params.runId);
      const name = typeof req.query.name === 'string' ? req.query.name : '';
      if (!name) return fail(400, ErrorCode.BAD_INPUT, 'name: give the artifact name as ?name=');
      const run = await readableRun(ctx.em, ctx.viewer, runId);
      const artifact = await ctx.em.findOne(Artifact, { run, name });
      if (!artifact)
        return fail(404, ErrorCode.NOT_FOUND, `run ${JSON.stringify(runId)} has no artifact ${JSON.stringify(name)}`);
      const store = ctx.nats.buckets?.artifacts;
      if (!store) return fail(503, ErrorCode.UNAVAILABLE, 'NATS is not reachable; try again shortly');
      const object = await store.get(name);
      if (!object)
        return fail(404, ErrorCode.NOT_FOUND, `artifact ${JSON.stringify(name)} is no longer in the object store`);
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(object.info.size));
      res.setHeader('content-disposition', `attachment; filename="${path.basename(name).replace(/[^\w.-]/g, '_')}"`);
      res.setHeader('x-artifact-digest', object.info.digest);
      Readable.fromWeb(object.data as Parameters<typeof Readable.fromWeb>[0]).pipe(res);
    } catch (error) {
      const code =
        error instanceof LrnasError ? error.code : error instanceof GraphQLError ? error.extensions.code : undefined;
      if (code === ErrorCode.NOT_FOUND) return fail(404, code, (error as Error).message);
      if (
        code === ErrorCode.UNAUTHENTICATED ||
        code === ErrorCode.FORBIDDEN ||
        (error as GraphQLError).extensions?.http
      ) {
        const http = (error as GraphQLError).extensions?.http as { status?: number } | undefined;
        return fail(http?.status ?? 401, String(code ?? ErrorCode.UNAUTHENTICATED), (error as Error).message);
      }
      if (!res.headersSent) fail(500, ErrorCode.INTERNAL, 'could not read the artifact');
      else res.destroy();
    }
  };
}
