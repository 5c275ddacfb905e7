// Metric series in the API: a run's stored series, thinned for charts, and its new points live.
import { Arg, Ctx, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { readableRun } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { whileRunLives, type Of, type SubscribeData } from '../live/run-lifetime.js';
import { checkMetricKey } from '../validation.js';
import { metricSeries } from './queries.js';
import { MetricSeries, MetricsAdded, type MetricPoint } from './types.js';

/** A run's metrics are read by whoever may read the run. */
@Resolver()
export class MetricsResolver {
  @Query(() => [MetricSeries], {
    description: 'Metric series of a run, each thinned server-side to at most maxPoints points keeping extremes.',
  })
  async metricSeries(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('runId', () => ID, { description: 'The run.' }) runId: string,
    @Arg('keys', () => [String], { nullable: true, description: 'Metric keys; all of the run’s when left out.' })
    keys?: string[],
    @Arg('maxPoints', () => Int, { defaultValue: 500, description: 'Most points per series, 2 to 10000.' })
    maxPoints?: number,
  ) {
    const run = await readableRun(em, viewer, runId);
    return metricSeries(em, run.id, keys, maxPoints ?? 500);
  }

  @Subscription(() => MetricsAdded, {
    description:
      'New metric points of a run, batched as they are stored; completes once the run has ended (at once for a run that had).',
    subscribe: async ({ args, context }: SubscribeData<{ runId: string; keys?: string[] | null }>) => {
      const { id: runId } = await readableRun(context.em, context.viewer, args.runId);
      const keys = args.keys?.length ? new Set(args.keys.map((k, i) => checkMetricKey(`keys[${i}]`, k))) : undefined;
      const listen = () =>
        context.live.listen((u) => {
          if (u.type === 'leaderboard' || u.runId !== runId) return undefined;
          if (u.type === 'run') return u;
          const points = keys ? u.points.filter((p) => keys.has(p.key)) : u.points;
          return points.length > 0 ? { ...u, points } : undefined;
        });
      return whileRunLives(context, runId, listen, false);
    },
  })
  metricsAdded(
    @Root() update: Of<'metrics'>,
    @Arg('runId', () => ID, { description: 'The run.' }) _runId: string,
    @Arg('keys', () => [String], { nullable: true, description: 'Only these keys; all when left out.' })
    _keys?: string[],
  ): MetricsAdded {
    const byKey = new Map<string, MetricPoint[]>();
    for (const p of update.points) {
      byKey.set(p.key, [...(byKey.get(p.key) ?? []), { step: p.step, value: p.value, time: new Date(p.time) }]);
    }
    return { runId: update.runId, series: [...byKey.entries()].map(([key, points]) => ({ key, points })) };
  }
}
