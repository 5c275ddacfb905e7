import { Arg, Ctx, Float, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { ContractError } from '@lrnas/schema';
import { isTerminal, type RunStatusName } from '../../domain/run-progress.js';
import { mayHear, type LiveUpdate } from '../../live/updates.js';
import { Run as RunEntity } from '../../persistence/entities/index.js';
import { readableExperiment, readableRun } from '../../auth/readable.js';
import { leaderboard } from '../../results/queries.js';
import { checkMetricKey, checkThreatModel } from '../../validation.js';
import type { GatewayContext } from '../context.js';
import { Attack, Dataset } from '../enums.js';
import { ThreatModelInput } from '../inputs.js';
import { LeaderboardEntry, MetricsAdded, Run, type MetricPoint } from '../types.js';
import { assertLeaderboardReadable } from './query-resolver.js';

type Data<Args> = SubscribeResolverData<unknown, Args, GatewayContext>;
type Of<T extends LiveUpdate['type']> = Extract<LiveUpdate, { type: T }>;

/**
 * Each event of a subscription is read with a new entity manager: the operation's context lives
 * as long as the subscription, and a long-lived identity map would serve stale rows.
 */
function refresh(context: GatewayContext): GatewayContext {
  context.em = context.db.orm.em.fork();
  return context;
}

async function hasEnded(context: GatewayContext, runId: string): Promise<boolean> {
  const run = await context.db.orm.em.fork().findOne(RunEntity, { id: runId }, { fields: ['status'] });
  return !run || isTerminal(run.status as RunStatusName);
}

/**
 * `updates` of one run for as long as the run lives: after each of its run updates the run is read,
 * and once it has ended (or had ended when the subscription began) the subscription completes, so a
 * client learns the run is over without polling. Its run updates are passed on only when `withRun`.
 * An iterator object rather than an async generator: a generator waiting for the next update would
 * only see the client's unsubscribe (return) once another update came.
 */
function whileRunLives<T extends LiveUpdate>(
  context: GatewayContext,
  runId: string,
  updates: AsyncIterableIterator<T>,
  withRun: boolean,
): AsyncIterableIterator<T> {
  let started = false;
  let endNext = false;
  const end = async (): Promise<IteratorResult<T>> => {
    await updates.return?.();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (!started) {
        started = true;
        if (await hasEnded(context, runId)) return end();
      }
      if (endNext) return end();
      for (;;) {
        const next = await updates.next();
        if (next.done) return next;
        if (next.value.type !== 'run') return next;
        const ended = await hasEnded(context, runId);
        if (withRun) {
          endNext = ended;
          return next;
        }
        if (ended) return end();
      }
    },
    return: end,
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      await end();
      throw error;
    },
  };
}

/** Live updates over graphql-ws, fed from NATS so that they reach clients of every replica. */
@Resolver()
export class SubscriptionResolver {
  @Subscription(() => Run, {
    description:
      'The run (or every run of the experiment) each time its status, stage, progress, genotype or tags change. On one run it completes once the run has ended (at once for a run that had).',
    subscribe: async ({ args, context }: Data<{ runId?: string | null; experimentId?: string | null }>) => {
      if ((args.runId == null) === (args.experimentId == null)) {
        throw new ContractError('runId', 'give exactly one of runId and experimentId');
      }
      // The run's id, whichever id the caller named it by (its team's own or the run id).
      const runId = args.runId != null ? (await readableRun(context.em, context.viewer, args.runId)).id : undefined;
      if (runId === undefined) {
        await readableExperiment(context.em, context.viewer, args.experimentId!);
        return context.live.listen((u) => (u.type === 'run' && u.experimentId === args.experimentId ? u : undefined));
      }
      return whileRunLives(
        context,
        runId,
        context.live.listen((u) => (u.type === 'run' && u.runId === runId ? u : undefined)),
        true,
      );
    },
  })
  runUpdated(
    @Root() update: Of<'run'>,
    @Ctx() context: GatewayContext,
    @Arg('runId', () => ID, { nullable: true, description: 'This run.' }) _runId?: string,
    @Arg('experimentId', () => ID, { nullable: true, description: 'Every run of this experiment.' })
    _experimentId?: string,
  ) {
    const fresh = refresh(context);
    return readableRun(fresh.em, fresh.viewer, update.runId);
  }

  @Subscription(() => MetricsAdded, {
    description:
      'New metric points of a run, batched as they are stored; completes once the run has ended (at once for a run that had).',
    subscribe: async ({ args, context }: Data<{ runId: string; keys?: string[] | null }>) => {
      const { id: runId } = await readableRun(context.em, context.viewer, args.runId);
      const keys = args.keys?.length ? new Set(args.keys.map((k, i) => checkMetricKey(`keys[${i}]`, k))) : undefined;
      const updates = context.live.listen((u) => {
        if (u.type === 'leaderboard' || u.runId !== runId) return undefined;
        if (u.type === 'run') return u;
        const points = keys ? u.points.filter((p) => keys.has(p.key)) : u.points;
        return points.length > 0 ? { ...u, points } : undefined;
      });
      return whileRunLives(context, runId, updates, false);
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

  @Subscription(() => [LeaderboardEntry], {
    description: 'The leaderboard, each time an evaluation for its data set and threat model is stored.',
    subscribe: async ({ args, context }: Data<{ dataset: string; threatModel: { norm: string; epsilon: number } }>) => {
      assertLeaderboardReadable(context);
      const threat = checkThreatModel('threatModel', args.threatModel);
      return context.live.listen((u) =>
        u.type === 'leaderboard' &&
        mayHear(u, context.viewer?.teamId) &&
        u.dataset === args.dataset &&
        u.norm === threat.norm &&
        Math.abs(u.epsilon - threat.epsilon) < 1e-6
          ? u
          : undefined,
      );
    },
  })
  leaderboardChanged(
    @Ctx() context: GatewayContext,
    @Arg('dataset', () => Dataset, { description: 'Data set.' }) dataset: Dataset,
    @Arg('threatModel', () => ThreatModelInput, { description: 'Threat model.' }) threatModel: ThreatModelInput,
    @Arg('maxParams', () => Float, { nullable: true, description: 'Only architectures this small.' })
    maxParams?: number,
    @Arg('attack', () => Attack, { nullable: true, description: 'Rank by this attack alone.' }) attack?: Attack,
  ) {
    const fresh = refresh(context);
    return leaderboard(fresh.em, fresh.viewer, { dataset, threatModel, maxParams, attack });
  }
}
