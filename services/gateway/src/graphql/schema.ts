import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
// The concepts' resolvers. The order of these imports is the order of the root fields in the
// emitted SDL (type-graphql lists a root type's fields in the order their decorators ran, that is
// the order these modules load), so it keeps the checked-in schema as it was; the api-keys
// mutations load last for that reason. A test fails when the SDL changes.
import { HealthResolver, WorkersResolver } from '../health/health.js';
import { ApiKeyQueries } from '../api-keys/resolver.js';
import { ExperimentFields, ExperimentResolver } from '../experiments/resolver.js';
import { ActivityResolver } from '../live/activity.js';
import { RunResolver } from '../runs/resolver.js';
import { RunFields } from '../runs/fields.js';
import { MetricsResolver } from '../metrics/resolver.js';
import { ResultsResolver } from '../results/resolver.js';
import { ArchitectureFields, EvaluationFields } from '../results/fields.js';
import { CompareResolver } from '../compare/resolver.js';
import { ApiKeyMutations } from '../api-keys/mutation-resolver.js';
import { LoggedRunResolver } from '../logged-runs/resolver.js';
import { StudyResolver, StudyRunFields } from '../studies/study.js';

/** The gateway's GraphQL schema, built from its resolvers. */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      HealthResolver,
      WorkersResolver,
      ApiKeyQueries,
      ExperimentResolver,
      ExperimentFields,
      ActivityResolver,
      RunResolver,
      RunFields,
      MetricsResolver,
      ResultsResolver,
      EvaluationFields,
      ArchitectureFields,
      CompareResolver,
      ApiKeyMutations,
      LoggedRunResolver,
      StudyResolver,
      StudyRunFields,
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
