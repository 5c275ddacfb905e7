// Creating and revoking API keys (see resolver.ts for why these are a module of their own).
import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { createApiKey, revokeApiKey } from './keys.js';
import { ApiKey, CreatedApiKey } from './types.js';

/** Every mutation needs an API key of the team; a key may revoke itself. */
@Resolver()
export class ApiKeyMutations {
  @Mutation(() => CreatedApiKey, { description: 'Creates an API key of your team; its secret is shown only here.' })
  createApiKey(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('name', () => String, { description: 'What the key is for.' }) name: string,
  ) {
    return createApiKey(em, viewer, name);
  }

  @Mutation(() => ApiKey, { description: 'Revokes an API key of your team; it is refused from then on.' })
  revokeApiKey(@Ctx() { em, viewer }: GatewayContext, @Arg('id', () => ID, { description: 'Key id.' }) id: string) {
    return revokeApiKey(em, viewer, id);
  }
}
