// Studies in the API (issue 15): starting one, reading its rows and table as they come, and each row run's
// provenance (which study, arm and seed), which the leaderboard shows. A study is a STUDY run; each finished row
// is filed by ingestion (ingest/study-rows.ts) as a TRAIN run of its own whose parent is the study.
import {
  Arg,
  Ctx,
  Field,
  FieldResolver,
  Float,
  ID,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ContractError, studyTableLines } from '@lrnas/schema';
import { readableRun } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { TouchesStorage } from '../graphql/limits.js';
import type { StudyRowConfig } from '../ingest/study-rows.js';
import * as rows from '../persistence/entities/index.js';
import { Architecture } from '../results/types.js';
import { StartStudyInput } from '../runs/inputs.js';
import { startStudy } from '../runs/start-run.js';
import { Run } from '../runs/types.js';

@ObjectType({ description: 'A mean over a study arm’s seeds and its spread (sample standard deviation).' })
export class MeanSpread {
  @Field(() => Float, { description: 'Mean.' })
  mean!: number;

  @Field(() => Float, { description: 'Sample standard deviation; 0 for a single value.' })
  spread!: number;

  @Field(() => Int, { description: 'Values averaged.' })
  n!: number;
}

@ObjectType({ description: 'An attack of a study row, as it ran, and the accuracy left under it.' })
export class StudyAttackResult {
  @Field(() => String, { description: 'Attack name, as the contract spells it (fgsm, pgd, apgd-ce...).' })
  attack!: string;

  @Field(() => GraphQLJSONObject, { description: 'Its settings as used (steps, step size, restarts).' })
  settings!: Record<string, unknown>;

  @Field(() => Float, { description: 'Robust accuracy, 0 to 1.' })
  robustAccuracy!: number;
}

@ObjectType({ description: 'One finished row of a study: a network retrained and attacked.' })
export class StudyRow {
  @Field(() => String, { description: 'Its name in the study, e.g. mnist/seed-0/random-1.' })
  key!: string;

  @Field(() => String, { description: 'Data set, as the contract spells it.' })
  dataset!: string;

  @Field(() => String, { description: 'Arm (lrnas, no-greedy, random, resnet...), as the contract spells it.' })
  arm!: string;

  @Field(() => Int, { description: 'Seed of its search, sampling, retraining and attacks.' })
  seed!: number;

  @Field(() => Int, { description: 'Which random genotype of its seed (0 for other arms).' })
  index!: number;

  @Field(() => Run, {
    description: 'The row’s own run (a TRAIN run whose parent is the study): its leaderboard entry.',
  })
  run!: rows.Run;

  @Field(() => Architecture, { description: 'Its genotype.' })
  architecture!: rows.Architecture;

  @Field(() => Float, { description: 'Parameters of its network (channels scaled per row).' })
  params!: number;

  @Field(() => Float, { description: 'Multiply-accumulates of one forward pass.' })
  flops!: number;

  @Field(() => Int, { description: 'Channels C of its network.' })
  channels!: number;

  @Field(() => Int, { description: 'Cells L of its network.' })
  layers!: number;

  @Field(() => Float, { description: 'Clean accuracy, 0 to 1.' })
  cleanAccuracy!: number;

  @Field(() => Float, { description: 'Per example worst case over the attacks, 0 to 1.' })
  worstCase!: number;

  @Field(() => [StudyAttackResult], { description: 'Each attack’s robust accuracy.' })
  attacks!: StudyAttackResult[];

  @Field(() => Int, { description: 'Test images attacked.' })
  examples!: number;

  @Field(() => Float, { description: 'Seconds the row took (search included for a searched arm’s first row).' })
  seconds!: number;
}

@ObjectType({ description: 'Robust accuracy under one attack over an arm’s rows.' })
export class StudyAttackSummary {
  @Field(() => String, { description: 'Attack name.' })
  attack!: string;

  @Field(() => MeanSpread, { description: 'Robust accuracy, 0 to 1.' })
  robust!: MeanSpread;
}

@ObjectType({ description: 'A line of a study’s table: an arm on a data set, over its seeds.' })
export class StudyTableLine {
  @Field(() => String, { description: 'Data set.' })
  dataset!: string;

  @Field(() => String, { description: 'Arm.' })
  arm!: string;

  @Field(() => MeanSpread, { description: 'Parameters.' })
  params!: MeanSpread;

  @Field(() => MeanSpread, { description: 'Multiply-accumulates.' })
  flops!: MeanSpread;

  @Field(() => MeanSpread, { description: 'Clean accuracy.' })
  clean!: MeanSpread;

  @Field(() => [StudyAttackSummary], { description: 'Robust accuracy per attack.' })
  attacks!: StudyAttackSummary[];

  @Field(() => MeanSpread, { description: 'Worst case over the attacks.' })
  worstCase!: MeanSpread;
}

@ObjectType({ description: 'A study: its run, its rows as they finish and its table.' })
export class Study {
  @Field(() => Run, { description: 'The STUDY run (status, progress, log).' })
  run!: rows.Run;

  @Field(() => GraphQLJSONObject, { description: 'Its settings as started (unset ones take the preset’s).' })
  settings!: Record<string, unknown>;

  @Field(() => Int, { nullable: true, description: 'Rows it plans in all; null until the first row is done.' })
  planned?: number | null;

  @Field(() => [StudyRow], { description: 'Finished rows, in the order they finished.' })
  rows!: StudyRow[];

  @Field(() => [StudyTableLine], { description: 'One line per data set and arm, mean ± spread over the seeds.' })
  table!: StudyTableLine[];
}

@ObjectType({ description: 'Where a run that is a study’s row comes from.' })
export class StudyProvenance {
  @Field(() => ID, { description: 'The study run.' })
  studyRunId!: string;

  @Field(() => String, { description: 'The row’s name in the study.' })
  key!: string;

  @Field(() => String, { description: 'Arm.' })
  arm!: string;

  @Field(() => String, { description: 'Data set.' })
  dataset!: string;

  @Field(() => Int, { description: 'Seed.' })
  seed!: number;
}

@Resolver()
export class StudyResolver {
  @Mutation(() => Run, {
    description:
      'Queues a study (issue 15): LRNAS, its ablations and baselines at one budget, retrained and attacked alike, over seeds. Each finished row becomes a run of its own on the leaderboard.',
  })
  async startStudy(
    @Ctx() { em, viewer, nats, live }: GatewayContext,
    @Arg('input', () => StartStudyInput, { description: 'The study.' }) input: StartStudyInput,
  ) {
    const run = await startStudy({ em, viewer, nats }, input);
    live.publish([{ type: 'run', runId: run.id, experimentId: run.experiment.id }]);
    return run;
  }

  @TouchesStorage()
  @Query(() => Study, { description: 'A study by its run id (your own id or the run id): its rows and table so far.' })
  async study(
    @Ctx() { em, viewer }: GatewayContext,
    @Arg('runId', () => ID, { description: 'The STUDY run.' }) runId: string,
  ): Promise<Study> {
    const run = await readableRun(em, viewer, runId);
    if (run.kind !== rows.RunKind.STUDY) {
      throw new ContractError('runId', `run ${runId} is a ${run.kind} run, not a STUDY`);
    }
    const stored = await em.find(
      rows.StudyRow,
      { study: run.id },
      { populate: ['run', 'architecture'], orderBy: { id: 'asc' } },
    );
    const views: StudyRow[] = stored.map((r) => ({
      key: r.key,
      dataset: r.dataset,
      arm: r.arm,
      seed: r.seed,
      index: r.index,
      run: r.run,
      architecture: r.architecture,
      params: r.params,
      flops: r.flops,
      channels: r.channels,
      layers: r.layers,
      cleanAccuracy: r.cleanAccuracy,
      worstCase: r.worstCase,
      attacks: r.attacks.map(({ attack: { name, ...settings }, robustAccuracy }) => ({
        attack: name,
        settings,
        robustAccuracy,
      })),
      examples: r.examples,
      seconds: r.seconds,
    }));
    const config = run.config as { study?: Record<string, unknown> };
    return {
      run,
      settings: config.study ?? {},
      planned: stored.length > 0 ? Math.max(...stored.map((r) => r.planned)) : null,
      rows: views,
      table: studyTableLines(stored),
    };
  }
}

@Resolver(() => Run)
export class StudyRunFields {
  @FieldResolver(() => StudyProvenance, {
    nullable: true,
    description: 'For a study’s row: which study, arm, data set and seed it is; null for any other run.',
  })
  studyRow(@Root() run: rows.Run): StudyProvenance | null {
    const config = run.config as Partial<StudyRowConfig> | undefined;
    if (config?.kind !== 'study-row' || typeof config.studyRunId !== 'string') return null;
    return {
      studyRunId: config.studyRunId,
      key: config.key ?? '',
      arm: config.arm ?? '',
      dataset: config.dataset ?? '',
      seed: config.seed ?? run.seed,
    };
  }
}
