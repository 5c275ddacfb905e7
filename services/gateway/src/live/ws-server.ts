import type http from 'node:http';
import {
  GraphQLError,
  parse,
  validate,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { ErrorCode } from '@lrnas/schema';
import type { Viewer } from '../auth/authenticate.js';
import type { SubscriptionQuota } from '../auth/shared-limits.js';
import { callerOf } from '../graphql/request-context.js';
import type { GatewayContext } from '../graphql/context.js';
import { complexityMessage, measureOperation } from '../graphql/limits.js';

/** What the subscription endpoint needs from the gateway. */
export interface SocketOptions {
  schema: GraphQLSchema;
  /** The viewer of an `Authorization` value from connection_init; throws for a bad key. */
  authenticate: (authorization: string | undefined) => Promise<Viewer | undefined>;
  context: (viewer: Viewer | undefined) => GatewayContext;
  limits: { maxDepth: number; maxComplexity: number };
  format: (error: GraphQLError) => GraphQLFormattedError;
  /** Open subscriptions per caller, counted across the replicas. */
  quota: Pick<SubscriptionQuota, 'acquire' | 'release' | 'max'>;
}

/**
 * Subscriptions over graphql-ws at `/graphql`, on the HTTP server. The API key travels in the
 * connection_init payload (`{ "authorization": "Bearer <key>" }`, browsers cannot set headers on
 * WebSockets); a bad key closes the socket with 4403. Depth and complexity limits apply as on
 * HTTP. A caller (API key, or address) may hold `quota.max` subscriptions at once across the
 * replicas; each is counted until it completes or its socket closes. Returns the function that
 * closes every socket.
 */
export function serveSubscriptions(server: http.Server, options: SocketOptions): () => Promise<void> {
  const wss = new WebSocketServer({ server, path: '/graphql' });
  const viewers = new WeakMap<object, Viewer | undefined>();
  /** Per connection: the counted subscriptions, by operation id, and whom they count for. */
  const held = new WeakMap<object, Map<string, string>>();
  const release = (ctx: object, id: string) => {
    const counted = held.get(ctx);
    const caller = counted?.get(id);
    if (!counted || caller === undefined) return;
    counted.delete(id);
    void options.quota.release(caller);
  };
  const cleanup = useServer(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const value = params.authorization ?? params.Authorization;
        try {
          viewers.set(ctx, await options.authenticate(typeof value === 'string' ? value : undefined));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const invalid = validate(options.schema, document);
        if (invalid.length > 0) return invalid;
        const operation = document.definitions.find(
          (d): d is OperationDefinitionNode =>
            d.kind === 'OperationDefinition' && (!payload.operationName || d.name?.value === payload.operationName),
        );
        if (!operation) return [new GraphQLError('no operation to run')];
        const cost = measureOperation(options.schema, document, operation, payload.variables ?? {});
        const refuse = (message: string) => [new GraphQLError(message, { extensions: { code: ErrorCode.BAD_INPUT } })];
        if (cost.depth > options.limits.maxDepth) {
          return refuse(`query depth ${cost.depth} exceeds the limit of ${options.limits.maxDepth}`);
        }
        if (cost.complexity > options.limits.maxComplexity) {
          return refuse(complexityMessage(cost.complexity, options.limits.maxComplexity));
        }
        if (operation.operation !== 'subscription') return undefined;
        const caller = callerOf(viewers.get(ctx), ctx.extra.request.socket.remoteAddress);
        if (!(await options.quota.acquire(caller))) {
          return [
            new GraphQLError(
              `at most ${options.quota.max} subscriptions may be open at once per API key (or address without one); close one first`,
              { extensions: { code: ErrorCode.RATE_LIMITED } },
            ),
          ];
        }
        const counted = held.get(ctx) ?? new Map<string, string>();
        held.set(ctx, counted);
        counted.set(id, caller);
        return undefined;
      },
      onComplete: (ctx, id) => release(ctx, id),
      onClose: (ctx) => {
        for (const id of [...(held.get(ctx)?.keys() ?? [])]) release(ctx, id);
      },
      context: (ctx) => options.context(viewers.get(ctx)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => options.format(e)) } : result,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => options.format(e)),
    },
    wss,
  );
  return async () => {
    await cleanup.dispose();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
