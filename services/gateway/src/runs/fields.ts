// The fields of a Run that are not plain columns of its row.
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { readableExperiments } from '../auth/access.js';
import { isStalled } from '../domain/stall.js';
import { stageTimeline } from '../domain/stages.js';
import { Experiment } from '../experiments/types.js';
import type { GatewayContext } from '../graphql/context.js';
import { TouchesStorage } from '../graphql/limits.js';
import { metricKeys } from '../metrics/queries.js';
import * as rows from '../persistence/entities/index.js';
import { Architecture, Evaluation } from '../results/types.js';
import { Artifact, Run, RunProgress, RunStatusChange, StageSpan } from './types.js';

@Resolver(() => Run)
export class RunFields {
  @FieldResolver(() => Experiment, { description: 'The experiment it belongs to.' })
  experiment(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Experiment, run.experiment.id);
  }

  @FieldResolver(() => Architecture, {
    nullable: true,
    description: 'Its current genotype: the latest selection of a search, or the architecture it trains or attacks.',
  })
  architecture(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return run.architecture ? em.findOne(rows.Architecture, { hash: run.architecture.hash }) : null;
  }

  @FieldResolver(() => RunProgress, {
    nullable: true,
    description: 'How far its current stage is (its last stage’s, once it ended); null before it started.',
  })
  progress(@Root() run: rows.Run): RunProgress | null {
    const p = run.progress;
    if (!p) return null;
    // Rows from before progress events hold only done and total.
    return {
      ...p,
      stage: p.stage ?? run.stage ?? '',
      updatedAt: p.updatedAt ? new Date(p.updatedAt) : undefined,
    };
  }

  @TouchesStorage()
  @FieldResolver(() => Run, { nullable: true, description: 'The run it continues (an evaluation: the trained run).' })
  parent(@Root() run: rows.Run, @Ctx() { em, viewer }: GatewayContext) {
    return run.parent ? em.findOne(rows.Run, { id: run.parent.id, experiment: readableExperiments(viewer) }) : null;
  }

  @TouchesStorage()
  @FieldResolver(() => [RunStatusChange], { description: 'Every status change, oldest first.' })
  statusHistory(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return em.find(rows.RunStatusChange, { run: run.id }, { orderBy: { at: 'asc', id: 'asc' } });
  }

  @TouchesStorage()
  @FieldResolver(() => [StageSpan], { description: 'Stages it went through, in order, with their times.' })
  async stages(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    const history = await em.find(rows.RunStatusChange, { run: run.id }, { orderBy: { at: 'asc', id: 'asc' } });
    return stageTimeline(history, run.finishedAt);
  }

  @FieldResolver(() => Boolean, {
    description: 'RUNNING, yet no event from its worker for two minutes: JetStream will redeliver or fail the job.',
  })
  stalled(@Root() run: rows.Run): boolean {
    return isStalled(run, new Date());
  }

  @TouchesStorage()
  @FieldResolver(() => [Artifact], { description: 'Files it stored: checkpoints, weights, genotypes, reports.' })
  artifacts(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return em.find(rows.Artifact, { run: run.id }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  }

  @TouchesStorage()
  @FieldResolver(() => [Evaluation], { description: 'Evaluations it produced.' })
  evaluations(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return em.find(rows.Evaluation, { run: run.id }, { orderBy: { id: 'asc' } });
  }

  @TouchesStorage()
  @FieldResolver(() => [String], { description: 'Keys of the metrics it reported.' })
  metricKeys(@Root() run: rows.Run, @Ctx() { em }: GatewayContext) {
    return metricKeys(em, run.id);
  }
}
