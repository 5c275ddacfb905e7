// The GraphQL object types of a run. Resolvers return Run rows (or plain objects of the same
// shape); the fields that need the database or a computation are resolved in fields.ts.
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { RunKind, RunSource, RunStatus } from '../graphql/enums.js';
import type { Run as RunRow } from '../persistence/entities/index.js';

@ObjectType({ description: 'One change of a run status, as reported by its worker or made by the API.' })
export class RunStatusChange {
  @Field(() => RunStatus, { description: 'Status from then on.' })
  status!: RunStatus;

  @Field(() => String, { nullable: true, description: 'Stage of the pipeline: search, select, train or evaluate.' })
  stage?: string;

  @Field(() => Int, { description: 'Delivery attempt of the job that reported it (0 for changes made by the API).' })
  attempt!: number;

  @Field(() => Date, { description: 'When it happened.' })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'Why, for failures and cancellations.' })
  message?: string;
}

@ObjectType({ description: 'A stage a run went through and how long it took.' })
export class StageSpan {
  @Field(() => String, { description: 'Stage name: search, select, train or evaluate.' })
  stage!: string;

  @Field(() => Date, { description: 'When the run entered it.' })
  startedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the next stage began or the run ended; null while current.' })
  endedAt?: Date;
}

@ObjectType({ description: 'How far a run is within its current stage.' })
export class RunProgress {
  @Field(() => String, { description: 'The stage counted.' })
  stage!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'What is counted: search or train (steps over the stage), estimate (masks of an epoch’s contribution estimate), attack (examples); null before the stage’s first count.',
  })
  phase?: string;

  @Field(() => Int, { description: 'Items done.' })
  done!: number;

  @Field(() => Int, { nullable: true, description: 'Items in all; null while unknown (a stage that has just begun).' })
  total?: number;

  @Field(() => Float, { nullable: true, description: 'done / total, 0 to 1.' })
  fraction?: number;

  @Field(() => Float, { nullable: true, description: 'Items per second since the phase began.' })
  rate?: number;

  @Field(() => Float, { nullable: true, description: 'Seconds left at that rate.' })
  etaSeconds?: number;

  @Field(() => Date, { nullable: true, description: 'When the worker measured it.' })
  updatedAt?: Date;
}

@ObjectType({ description: 'Why a run failed.' })
export class RunError {
  @Field(() => String, { description: 'Stable error code.' })
  code!: string;

  @Field(() => String, { description: 'Explanation for people.' })
  message!: string;
}

@ObjectType({ description: 'A file a run stored in the artifact store.' })
export class Artifact {
  @Field(() => String, { description: 'checkpoint, weights, genotype or report.' })
  kind!: string;

  @Field(() => String, { description: 'Object-store name.' })
  name!: string;

  @Field(() => String, { description: 'Digest of its content.' })
  digest!: string;

  @Field(() => Float, { description: 'Size in bytes.' })
  size!: number;

  @Field(() => String, { nullable: true, description: 'Stage that wrote it.' })
  stage?: string;

  @Field(() => Date, { description: 'When it was recorded.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A run: one job of an experiment and all that is known about its progress.' })
export class Run {
  @Field(() => ID, {
    description:
      'Run id; also the job message id and the token of its event subjects. Random, or derived from your team and the runId you gave.',
  })
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The runId your team gave when starting it; run(id:) and the other lookups by run id accept it too.',
  })
  clientId?: string;

  @Field(() => RunKind, { description: 'What it does.' })
  kind!: RunKind;

  @Field(() => RunStatus, { description: 'Current status.' })
  status!: RunStatus;

  @Field(() => String, {
    nullable: true,
    description: 'The stage the run is in; once it ended, the stage it ended in (evaluate for a finished pipeline).',
  })
  stage?: string;

  @Field(() => GraphQLJSONObject, { description: 'The job as published, defaults filled in.' })
  config!: Record<string, unknown>;

  @Field(() => Int, { description: 'Random seed of the job.' })
  seed!: number;

  @Field(() => [String], { description: 'Tags.' })
  tags!: string[];

  @Field(() => String, { nullable: true, description: 'Worker that ran (or runs) it.' })
  workerId?: string;

  @Field(() => String, { nullable: true, description: 'Compute backend it ran on.' })
  backend?: string;

  @Field(() => Int, { description: 'Delivery attempts so far (a redelivered job counts again).' })
  attempts!: number;

  @Field(() => RunError, { nullable: true, description: 'Why it failed.' })
  error?: RunError;

  @Field(() => Date, { description: 'When it was queued.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a worker began it.' })
  startedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When it ended.' })
  finishedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When its last event (for a logged run: call) arrived.' })
  lastEventAt?: Date;

  @Field(() => RunSource, { description: 'Who executes it: a worker of the platform, or a client that logs it.' })
  source!: RunSource;

  @Field(() => String, { nullable: true, description: 'Name the logging client gave it.' })
  name?: string;

  @Field(() => String, { nullable: true, description: 'Provenance of a logged run: the API key that created it.' })
  loggedBy?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Provenance of a logged run: the client and version that log it.',
  })
  client?: string;
}

@ObjectType({ description: 'Where a page of results ends.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow.' })
  hasNextPage!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'Cursor of the last item; pass it as `after` for the next page.',
  })
  endCursor?: string;
}

@ObjectType({ description: 'A run in a page of runs.' })
export class RunEdge {
  @Field(() => String, { description: 'Opaque position of this run in the chosen order.' })
  cursor!: string;

  @Field(() => Run, { description: 'The run.' })
  node!: Run;
}

@ObjectType({ description: 'A page of runs.' })
export class RunConnection {
  @Field(() => [RunEdge], { description: 'The runs of this page with their cursors.' })
  edges!: RunEdge[];

  @Field(() => PageInfo, { description: 'Whether more follow.' })
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Runs matching the filter, over all pages.' })
  totalCount!: number;
}

/** A page of the run list as a connection (the runs query and Experiment.runs). */
export function runConnection(page: {
  runs: RunRow[];
  cursors: string[];
  hasNextPage: boolean;
  totalCount: number;
}): RunConnection {
  return {
    edges: page.runs.map((run, i) => ({ cursor: page.cursors[i]!, node: run as unknown as Run })),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.cursors.at(-1) },
    totalCount: page.totalCount,
  };
}
