// Field resolvers: the fields of the object types that are not plain columns of the row.
import { Arg, Ctx, FieldResolver, ID, Int, Resolver, Root } from 'type-graphql';
import { readableExperiments } from '../../auth/access.js';
import { isStalled } from '../../domain/stall.js';
import { stageTimeline } from '../../domain/stages.js';
import * as rows from '../../persistence/entities/index.js';
import { metricKeys } from '../../metrics/queries.js';
import { firstReadableFinding } from '../../auth/readable.js';
import { listRuns } from '../../runs/run-list.js';
import type { GatewayContext } from '../context.js';
import { TouchesStorage } from '../limits.js';
import { RunFilter, RunOrder } from '../inputs.js';
import {
  Architecture,
  Artifact,
  Evaluation,
  Experiment,
  Run,
  RunConnection,
  RunProgress,
  RunStatusChange,
  StageSpan,
  Team,
  ThreatModel,
} from '../types.js';
import { threatModelOf } from './threat.js';

@Resolver(() => Experiment)
export class ExperimentFields {
  @FieldResolver(() => ThreatModel, { description: 'Threat model its networks are trained and ranked under.' })
  threatModel(@Root() experiment: rows.Experiment): ThreatModel {
    return threatModelOf(experiment);
  }

  @FieldResolver(() => Team, { description: 'The team that owns it.' })
  team(@Root() experiment: rows.Experiment, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Team, experiment.team.id);
  }

  @TouchesStorage()
  @FieldResolver(() => RunConnection, { description: 'Its runs, filtered and sorted like the runs query.' })
  async runs(
    @Root() experiment: rows.Experiment,
    @Ctx() { em, viewer, db }: GatewayContext,
    @Arg('filter', () => RunFilter, { nullable: true, description: 'Which runs.' }) filter?: RunFilter,
    @Arg('orderBy', () => RunOrder, { nullable: true, description: 'Order; newest first by default.' })
    orderBy?: RunOrder,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' }) first?: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the last run of the previous page.' })
    after?: string,
  ): Promise<RunConnection> {
    const page = await listRuns(em, db.kind, viewer, {
      filter: { ...(filter ?? {}), and: [...(filter?.and ?? []), { experimentId: experiment.id }] },
      order: orderBy,
      first,
      after,
    });
    return {
      edges: page.runs.map((run, i) => ({ cursor: page.cursors[i]!, node: run as unknown as Run })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) },
      totalCount: page.totalCount,
    };
  }
}

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

@Resolver(() => Evaluation)
export class EvaluationFields {
  @FieldResolver(() => ID, { description: 'Evaluation id.' })
  id(@Root() evaluation: rows.Evaluation): string {
    return String(evaluation.id);
  }

  @FieldResolver(() => ThreatModel, { description: 'Threat model the attack was bounded by.' })
  threatModel(@Root() evaluation: rows.Evaluation): ThreatModel {
    return threatModelOf(evaluation);
  }

  @FieldResolver(() => Architecture, { description: 'The architecture attacked.' })
  architecture(@Root() evaluation: rows.Evaluation, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Architecture, { hash: evaluation.architecture.hash });
  }

  @FieldResolver(() => Run, { description: 'The run that produced it (an EVALUATE run’s parent is the trained run).' })
  run(@Root() evaluation: rows.Evaluation, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Run, evaluation.run.id);
  }
}

@Resolver(() => Architecture)
export class ArchitectureFields {
  @TouchesStorage()
  @FieldResolver(() => Run, {
    nullable: true,
    description: 'The first run you may read (your team’s, or a public one) that reported it; null when none did.',
  })
  async originRun(@Root() architecture: rows.Architecture, @Ctx() { em, viewer }: GatewayContext) {
    return (await firstReadableFinding(em, viewer, architecture.hash))?.run ?? null;
  }

  @TouchesStorage()
  @FieldResolver(() => Date, {
    nullable: true,
    description:
      'When a run you may read first reported it; null when none did. Another team’s private finding is not shown.',
  })
  async createdAt(@Root() architecture: rows.Architecture, @Ctx() { em, viewer }: GatewayContext) {
    const finding = await firstReadableFinding(em, viewer, architecture.hash);
    if (finding) return finding.foundAt;
    // No run reported it (the origin's experiment was deleted): its first sighting is no one's.
    return (await em.count(rows.ArchitectureFinding, { architecture: { hash: architecture.hash } })) === 0
      ? architecture.createdAt
      : null;
  }
}
