import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver } from './health.js';

/** The gateway's GraphQL schema, built from its resolvers. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [HealthResolver], validate: false });
}
