// Comparing runs in the API: what was configured differently and how they ended up.
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { GatewayContext } from '../graphql/context.js';
import { compareRuns } from './queries.js';
import { RunComparison } from './types.js';

/** Every compared run must be readable by the caller. */
@Resolver()
export class CompareResolver {
  @Query(() => RunComparison, { description: 'Runs side by side: differing settings and latest metric values.' })
  compareRuns(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('ids', () => [ID], { description: '1 to 20 run ids.' }) ids: string[],
  ) {
    return compareRuns(em, viewer, ids);
  }
}
