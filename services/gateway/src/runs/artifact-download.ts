import path from 'node:path';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ReadableStreamDefaultReader, ReadableStreamReadResult } from 'node:stream/web';
import type express from 'express';
import { GraphQLError } from 'graphql';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import type { GatewayContext } from '../graphql/context.js';
import { TIMED_OUT, withinDeadline } from '../deadline.js';
import { Artifact } from '../persistence/entities/index.js';
import { readableRun } from '../auth/readable.js';

/**
 * `GET /artifacts/:runId?name=<artifact name>`: the stored file of a run (trained weights, report,
 * genotype, checkpoint) from the JetStream object store, for callers who may read the run (the
 * Authorization header as for `/graphql`). Only names the run reported as artifacts are served.
 * A read the object store stops feeding for `artifactStallMs` ends: 504 UNAVAILABLE before the
 * first byte, a cut-off response after it.
 */
export function artifactDownload(
  context: (req: express.Request) => Promise<GatewayContext>,
  log: (line: string) => void,
): express.RequestHandler {
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
      const stallMs = ctx.api.artifactStallMs;
      const stalled = () =>
        fail(
          504,
          ErrorCode.UNAVAILABLE,
          `the object store delivered nothing of ${JSON.stringify(name)} for ${stallMs / 1000} s ` +
            '(a NATS node may have gone away); try again shortly',
        );
      const getting = store.get(name);
      const found = await withinDeadline(getting, stallMs);
      if (found === TIMED_OUT) {
        // Should the lookup end after all, its subscription is not left reading.
        void getting.then((late) => late?.data.cancel()).catch(() => undefined);
        return stalled();
      }
      const object = found;
      if (!object)
        return fail(404, ErrorCode.NOT_FOUND, `artifact ${JSON.stringify(name)} is no longer in the object store`);
      const reader = object.data.getReader();
      // Headers wait for the first chunk, so a read that stalls at once still gets a JSON answer.
      const first = await withinDeadline(reader.read(), stallMs);
      if (first === TIMED_OUT) {
        void reader.cancel().catch(() => undefined);
        return stalled();
      }
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(object.info.size));
      res.setHeader('content-disposition', `attachment; filename="${path.basename(name).replace(/[^\w.-]/g, '_')}"`);
      res.setHeader('x-artifact-digest', object.info.digest);
      await pipeChunks(first, reader, res, stallMs, name, log);
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

/**
 * Writes the object's chunks to the response as they arrive (`first` already read, or TIMED_OUT).
 * The deadline runs only while waiting for the object store (not for a slow client): when no
 * chunk comes within `stallMs` the response is cut off, so the client sees a truncated download
 * (its length is announced) instead of waiting forever, and the NATS subscription is dropped.
 */
export async function pipeChunks(
  first: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  res: ServerResponse,
  stallMs: number,
  name: string,
  log: (line: string) => void,
): Promise<void> {
  let closed = false;
  res.once('close', () => {
    closed = true;
    void reader.cancel().catch(() => undefined);
  });
  let chunk: ReadableStreamReadResult<Uint8Array> | typeof TIMED_OUT = first;
  while (!closed) {
    if (chunk === TIMED_OUT) {
      log(`artifact download of ${name} cut off: the object store delivered nothing for ${stallMs / 1000} s`);
      void reader.cancel().catch(() => undefined);
      res.destroy(new Error(`object store read of ${name} stalled`));
      return;
    }
    if (chunk.done) {
      res.end();
      return;
    }
    if (!res.write(chunk.value)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    chunk = await withinDeadline(reader.read(), stallMs);
  }
}
