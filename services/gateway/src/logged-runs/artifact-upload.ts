import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type express from 'express';
import { GraphQLError } from 'graphql';
import { ARTIFACT_KINDS, ContractError, ErrorCode, LrnasError } from '@lrnas/schema';
import type { GatewayContext } from '../graphql/context.js';
import { updatesOf } from '../live/updates.js';
import { loggedRun, recordArtifact, type LogContext } from './commands.js';

/** Header carrying the hex SHA-256 of the body, which the hub checks before it records the file. */
export const CHECKSUM_HEADER = 'x-checksum-sha256';
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/**
 * `PUT /artifacts/:runId?name=<file name>&kind=<checkpoint|weights|genotype|report>`: a file of a
 * run made with createRun, streamed into the JetStream object store (never held whole in memory),
 * with its size in Content-Length (at most LRNAS_MAX_ARTIFACT_BYTES) and its SHA-256 in
 * x-checksum-sha256. A body whose digest differs is deleted again and refused; a right one is
 * recorded as the run's artifact, downloadable by GET like a worker's. Uploading a name again
 * replaces the file.
 */
export function artifactUpload(
  context: (req: express.Request) => Promise<GatewayContext>,
  log: (line: string) => void,
): express.RequestHandler {
  return async (req, res) => {
    const fail = (status: number, code: string, message: string, field?: string) => {
      // The body is not read: the connection closes after the answer instead of draining it.
      res.setHeader('connection', 'close');
      res.status(status).json({ error: { code, message, ...(field ? { field } : {}) } });
    };
    try {
      const ctx = await context(req);
      const lc: LogContext = { em: ctx.em, viewer: ctx.viewer, lockRuns: ctx.db.kind === 'postgresql' };
      const name = typeof req.query.name === 'string' ? req.query.name : '';
      if (!NAME_PATTERN.test(name)) {
        return fail(400, ErrorCode.BAD_INPUT, 'name: give ?name= of 1 to 200 letters, digits, _ . -', 'name');
      }
      const kind = typeof req.query.kind === 'string' ? req.query.kind : 'checkpoint';
      if (!(ARTIFACT_KINDS as readonly string[]).includes(kind)) {
        return fail(400, ErrorCode.BAD_INPUT, `kind: must be one of ${ARTIFACT_KINDS.join(', ')}`, 'kind');
      }
      const checksum = String(req.headers[CHECKSUM_HEADER] ?? '').toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(checksum)) {
        return fail(400, ErrorCode.BAD_INPUT, `${CHECKSUM_HEADER}: give the body's SHA-256 in hex`, CHECKSUM_HEADER);
      }
      const length = Number(req.headers['content-length']);
      const limit = ctx.api.maxArtifactBytes;
      if (!Number.isInteger(length) || length < 0) {
        return fail(411, ErrorCode.BAD_INPUT, 'content-length: give the size of the file', 'content-length');
      }
      if (length > limit) {
        return fail(
          413,
          ErrorCode.BAD_INPUT,
          `content-length: ${length} bytes is over the limit of ${limit}`,
          'content-length',
        );
      }
      const run = await loggedRun(lc, String(req.params.runId), 'uploadArtifact');
      const store = ctx.nats.buckets?.artifacts;
      if (!store) return fail(503, ErrorCode.UNAVAILABLE, 'NATS is not reachable; try again shortly');
      const object = `${run.id}/${name}`;
      const info = await store.put({ name: object }, Readable.toWeb(req) as ReadableStream<Uint8Array>);
      const digest = Buffer.from(info.digest.replace(/^SHA-256=/, ''), 'base64url').toString('hex');
      if (digest !== checksum || info.size !== length) {
        await store.delete(object);
        return fail(
          400,
          ErrorCode.BAD_INPUT,
          `${CHECKSUM_HEADER}: the body (${info.size} bytes) has SHA-256 ${digest}, not ${checksum}; nothing stored`,
          CHECKSUM_HEADER,
        );
      }
      const { changes } = await recordArtifact(lc, run.id, {
        kind,
        name: object,
        digest: info.digest,
        size: info.size,
      });
      ctx.live.publish(updatesOf(changes));
      res.status(201).json({ artifact: { name: object, size: info.size, digest: info.digest } });
    } catch (error) {
      const code =
        error instanceof LrnasError ? error.code : error instanceof GraphQLError ? error.extensions.code : undefined;
      const field = error instanceof ContractError ? error.field : undefined;
      const status =
        code === ErrorCode.NOT_FOUND
          ? 404
          : code === ErrorCode.BAD_INPUT
            ? 400
            : code === ErrorCode.CONFLICT
              ? 409
              : code === ErrorCode.UNAUTHENTICATED
                ? 401
                : code === ErrorCode.FORBIDDEN
                  ? 403
                  : undefined;
      if (status && code) return fail(status, String(code), (error as Error).message, field);
      log(`artifact upload failed: ${(error as Error).message}`);
      if (!res.headersSent) fail(500, ErrorCode.INTERNAL, 'could not store the artifact');
    }
  };
}
