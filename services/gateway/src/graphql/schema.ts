import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver } from './health.js';
import { MutationResolver } from './resolvers/mutation-resolver.js';
import { QueryResolver } from './resolvers/query-resolver.js';
import { ArchitectureFields, EvaluationFields, ExperimentFields, RunFields } from './resolvers/type-resolvers.js';

/** The gateway's GraphQL schema, built from its resolvers. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      HealthResolver,
      QueryResolver,
      MutationResolver,
      ExperimentFields,
      RunFields,
      EvaluationFields,
      ArchitectureFields,
    ],
    validate: false,
  });
}
