// Metric series in the API: a run's stored series, thinned for charts, and its new points live.
import { Arg, Ctx, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import { readableRun } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { whileRunLives, type Closing, type Of, type SubscribeData } from '../live/run-lifetime.js';
import { checkMetricKey } from '../validation.js';
import type { Run } from '../persistence/entities/index.js';
import { downsample } from '../domain/downsample.js';
import { MAX_LIVE_POINTS_PER_KEY } from '../live/updates.js';
import { metricSeries, newestPointId, pointsStoredAfter } from './queries.js';
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
      const run = await readableRun(context.em, context.viewer, args.runId);
      const runId = run.id;
      const keys = args.keys?.length ? new Set(args.keys.map((k, i) => checkMetricKey(`keys[${i}]`, k))) : undefined;
      // Read before listening: the closing read looks no further back than this.
      const since = await newestPointId(context.db.orm.em.fork(), runId);
      const listen = () =>
        context.live.listen((u) => {
          if (u.type === 'leaderboard' || u.runId !== runId) return undefined;
          if (u.type === 'run') return u;
          const points = keys ? u.points.filter((p) => keys.has(p.key)) : u.points;
          return points.length > 0 ? { ...u, points } : undefined;
        });
      return whileRunLives(context, runId, listen, false, lastPoints(context, run, since, keys));
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

/**
 * The points a metricsAdded subscriber has not been sent when the run ends: of each key, those
 * stored since the subscription began at steps past the last one sent (the live batches are
 * thinned, so a step the client skipped within them is not missed), thinned like a live batch.
 */
function lastPoints(
  context: GatewayContext,
  run: Run,
  since: number,
  keys: ReadonlySet<string> | undefined,
): Closing<Of<'metrics'> | Of<'run'>> {
  const lastSent = new Map<string, number>();
  return {
    sent(update) {
      if (update.type !== 'metrics') return;
      for (const p of update.points) lastSent.set(p.key, Math.max(lastSent.get(p.key) ?? -Infinity, p.step));
    },
    async last() {
      const stored = await pointsStoredAfter(context.db.orm.em.fork(), run.id, since, keys, lastSent);
      const missed = new Map<string, typeof stored>();
      for (const p of stored) {
        const series = missed.get(p.key);
        if (series) series.push(p);
        else missed.set(p.key, [p]);
      }
      if (missed.size === 0) return [];
      const points = [...missed.values()].flatMap((series) =>
        downsample(series, MAX_LIVE_POINTS_PER_KEY).map((p) => ({ ...p, time: p.time.toISOString() })),
      );
      return [{ type: 'metrics', runId: run.id, experimentId: run.experiment.id, points }];
    },
  };
}
