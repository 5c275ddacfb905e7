import type { IncomingMessage } from 'node:http';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ErrorCode, LrnasError } from '@lrnas/schema';
import { authenticate, type Viewer } from '../auth/authenticate.js';
import type { SharedRateLimiter, SubscriptionQuota } from '../auth/shared-limits.js';
import type { ApiSettings } from '../config.js';
import type { Database } from '../persistence/database.js';
import type { IngestProgress } from '../ingest/ingest-progress.js';
import type { LiveUpdates } from '../live/updates.js';
import type { NatsLink } from '../nats-link.js';
import type { GatewayContext } from './context.js';

/**
 * Builds each request's context: its own entity manager, the viewer named by the Authorization
 * header, and a token from the caller's rate-limit bucket. Refusals carry their HTTP status.
 */
export function makeContextFactory(deps: {
  db: Database;
  nats: NatsLink;
  api: ApiSettings;
  live: LiveUpdates;
  ingest: IngestProgress;
  limiter: SharedRateLimiter;
}) {
  const { limiter } = deps;
  return async (req: Pick<IncomingMessage, 'headers' | 'socket'>): Promise<GatewayContext> => {
    const em = deps.db.orm.em.fork();
    let viewer;
    try {
      viewer = await authenticate(em, header(req.headers.authorization));
    } catch (error) {
      if (error instanceof LrnasError) throw asHttpError(error, 401);
      throw error;
    }
    const waitMs = await limiter.take(callerOf(viewer, req.socket.remoteAddress));
    if (waitMs > 0) {
      throw new GraphQLError(
        `rate limit of ${deps.api.rateLimitPerMinute} requests a minute reached; retry in ${Math.ceil(waitMs / 1000)} s`,
        {
          extensions: {
            code: ErrorCode.RATE_LIMITED,
            http: { status: 429, headers: new HeaderMap([['retry-after', String(Math.ceil(waitMs / 1000))]]) },
          },
        },
      );
    }
    return { db: deps.db, nats: deps.nats, em, viewer, api: deps.api, live: deps.live, ingest: deps.ingest };
  };
}

/** Whom the per-caller limits count: the API key, or an anonymous caller's address. */
export function callerOf(viewer: Viewer | undefined, address: string | undefined): string {
  return viewer ? `key:${viewer.keyId}` : `address:${address ?? 'unknown'}`;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asHttpError(error: LrnasError, status: number): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, http: { status } } });
}

/** The viewer and context of graphql-ws connections (the key comes with connection_init). */
export function makeSocketContext(deps: {
  db: Database;
  nats: NatsLink;
  api: ApiSettings;
  live: LiveUpdates;
  ingest: IngestProgress;
  quota: SubscriptionQuota;
}) {
  return {
    quota: deps.quota,
    authenticate: (authorization: string | undefined) => authenticate(deps.db.orm.em.fork(), authorization),
    context: (viewer: Viewer | undefined): GatewayContext => ({
      db: deps.db,
      nats: deps.nats,
      em: deps.db.orm.em.fork(),
      viewer,
      api: deps.api,
      live: deps.live,
      ingest: deps.ingest,
    }),
  };
}
