// The `apiKeys` query. The mutations on keys are in mutation-resolver.ts: a root field's place in
// the emitted SDL is the order its decorator ran, that is the order graphql/schema.ts loads the
// modules, and the SDL lists this query before the experiments' and those mutations after the runs'.
import { Ctx, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { listApiKeys } from './keys.js';
import { ApiKey } from './types.js';

@Resolver()
export class ApiKeyQueries {
  @Query(() => [ApiKey], { description: 'The API keys of your team, newest first.' })
  apiKeys(@Ctx() { em, viewer }: GatewayContext) {
    return listApiKeys(em, viewer);
  }
}
