import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver, WorkersResolver } from '../health/health.js';
import { ActivityResolver } from './resolvers/activity-resolver.js';
import { MutationResolver } from './resolvers/mutation-resolver.js';
import { QueryResolver } from './resolvers/query-resolver.js';
import { SubscriptionResolver } from './resolvers/subscription-resolver.js';
import { ArchitectureFields, EvaluationFields, ExperimentFields, RunFields } from './resolvers/type-resolvers.js';

/** The gateway's GraphQL schema, built from its resolvers. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      HealthResolver,
      WorkersResolver,
      QueryResolver,
      MutationResolver,
      SubscriptionResolver,
      ActivityResolver,
      ExperimentFields,
      RunFields,
      EvaluationFields,
      ArchitectureFields,
    ],
    validate: false,
    // Every subscription brings its own `subscribe` (fed by LiveUpdates, from NATS); type-graphql
    // still asks for a pub/sub, which topic-based subscriptions would use. There are none.
    pubSub: {
      publish: () => {
        throw new Error('subscriptions are published through LiveUpdates');
      },
      subscribe: () => {
        throw new Error('subscriptions subscribe through LiveUpdates');
      },
    },
  });
}
