// GraphQL object types. Resolvers return entities (or plain objects of the same shape); fields
// that need the database or a computation are resolved by the field resolvers in resolvers/.
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Attack, Dataset, Norm, RunKind, RunStatus, Visibility } from './enums.js';

@ObjectType({ description: 'Where an adversary may move an input: within epsilon of it in the given norm.' })
export class ThreatModel {
  @Field(() => Norm, { description: 'The norm.' })
  norm!: Norm;

  @Field(() => Float, { description: 'The radius, on images scaled to [0, 1].' })
  epsilon!: number;

  @Field(() => String, { description: 'Human label, e.g. "L∞ ε=8/255".' })
  label!: string;
}

@ObjectType({ description: 'A team: it owns experiments and API keys.' })
export class Team {
  @Field(() => ID, { description: 'Team id.' })
  id!: string;

  @Field(() => String, { description: 'Unique team name.' })
  name!: string;
}

@ObjectType({ description: 'A line of work: one data set, one threat model, an optional parameter budget.' })
export class Experiment {
  @Field(() => ID, { description: 'Experiment id.' })
  id!: string;

  @Field(() => String, { description: 'Name given by its team.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Free text about its purpose.' })
  description?: string;

  @Field(() => Dataset, { description: 'Data set its runs train and attack on.' })
  dataset!: Dataset;

  @Field(() => ThreatModel, { description: 'Threat model its networks are trained and ranked under.' })
  threatModel!: ThreatModel;

  @Field(() => Float, { nullable: true, description: 'Most parameters a selected architecture may have.' })
  parameterBudget?: number;

  @Field(() => [String], { description: 'Tags for finding it.' })
  tags!: string[];

  @Field(() => Visibility, { description: 'Who may read it.' })
  visibility!: Visibility;

  @Field(() => Team, { description: 'The team that owns it.' })
  team!: Team;

  @Field(() => Date, { nullable: true, description: 'When it was archived; archived experiments take no new runs.' })
  archivedAt?: Date;

  @Field(() => Date, { description: 'When it was created.' })
  createdAt!: Date;
}

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

@ObjectType({ description: 'A distinct network architecture: a canonical genotype and its size.' })
export class Architecture {
  @Field(() => ID, { description: 'Hash of the canonical genotype; the architecture id.' })
  hash!: string;

  @Field(() => GraphQLJSON, {
    description: 'The canonical genotype as in the contract: {normal, normalConcat, reduce, reduceConcat}.',
  })
  genotype!: unknown;

  @Field(() => Float, { description: 'Parameters of the evaluation network.' })
  params!: number;

  @Field(() => Float, { nullable: true, description: 'Multiply-accumulates of one forward pass of it.' })
  flops?: number;

  @Field(() => Int, { description: 'Initial channels of the evaluation network.' })
  channels!: number;

  @Field(() => Int, { description: 'Cells of the evaluation network.' })
  layers!: number;

  @Field(() => Int, { description: 'Classes it outputs.' })
  classes!: number;

  /** Resolved per viewer (ArchitectureFields.createdAt). */
  createdAt?: Date | null;
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

  @Field(() => String, { nullable: true, description: 'Current stage of the pipeline.' })
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

  @Field(() => Date, { nullable: true, description: 'When its last event arrived.' })
  lastEventAt?: Date;
}

@ObjectType({ description: 'A point of a metric series.' })
export class MetricPoint {
  @Field(() => Int, { description: 'Step (batch or epoch, as the key says).' })
  step!: number;

  @Field(() => Float, { nullable: true, description: 'Value; null where it was not finite (a diverged loss).' })
  value!: number | null;

  @Field(() => Date, { description: 'When the worker produced it (the time of its event).' })
  time!: Date;
}

@ObjectType({ description: 'A metric of a run, thinned server-side to the points a chart needs.' })
export class MetricSeries {
  @Field(() => String, { description: 'Metric key, e.g. train/loss.' })
  key!: string;

  @Field(() => Int, { description: 'Points stored for the key, before thinning.' })
  totalPoints!: number;

  @Field(() => [MetricPoint], { description: 'At most maxPoints points: first, last and each bucket’s extremes.' })
  points!: MetricPoint[];
}

@ObjectType({ description: 'Accuracy of trained weights under one attack, with what is needed to reproduce it.' })
export class Evaluation {
  @Field(() => ID, { description: 'Evaluation id.' })
  id!: string;

  @Field(() => Dataset, { description: 'Data set of the test examples.' })
  dataset!: Dataset;

  @Field(() => Attack, { description: 'The attack.' })
  attack!: Attack;

  @Field(() => GraphQLJSONObject, { description: 'Attack settings as used: steps, stepSize, restarts.' })
  attackSettings!: Record<string, number>;

  @Field(() => ThreatModel, { description: 'Threat model the attack was bounded by.' })
  threatModel!: ThreatModel;

  @Field(() => Int, { description: 'Test examples attacked.' })
  examples!: number;

  @Field(() => Int, { description: 'Seed of the attack.' })
  seed!: number;

  @Field(() => Float, { description: 'Accuracy without attack, 0 to 1.' })
  cleanAccuracy!: number;

  @Field(() => Float, { description: 'Accuracy under the attack, 0 to 1.' })
  robustAccuracy!: number;

  @Field(() => String, { description: 'Compute backend that ran it.' })
  backend!: string;

  @Field(() => String, { description: 'Engine version that ran it.' })
  engineVersion!: string;

  @Field(() => Date, { description: 'When it was recorded.' })
  createdAt!: Date;
}

@ObjectType({ description: 'An architecture on the leaderboard, by the best attack suite result of its trained runs.' })
export class LeaderboardEntry {
  @Field(() => Int, { description: '1 for the most robust.' })
  rank!: number;

  @Field(() => Architecture, { description: 'The architecture.' })
  architecture!: Architecture;

  @Field(() => Float, { description: 'Its parameters.' })
  params!: number;

  @Field(() => Float, { nullable: true, description: 'Its multiply-accumulates per forward pass.' })
  flops?: number;

  @Field(() => Float, { description: 'Robust accuracy: the lowest over the attacks of the suite.' })
  robustAccuracy!: number;

  @Field(() => Float, { description: 'Clean accuracy of the same evaluation.' })
  cleanAccuracy!: number;

  @Field(() => Run, { description: 'The trained run whose weights were attacked.' })
  run!: Run;

  @Field(() => Evaluation, { description: 'The evaluation that set the robust accuracy (the strongest attack).' })
  decisive!: Evaluation;

  @Field(() => [Evaluation], {
    description: 'Provenance: every evaluation of the suite (attack, settings, examples, seed, engine version).',
  })
  suite!: Evaluation[];
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

@ObjectType({ description: 'A configuration setting that differs between compared runs.' })
export class ConfigDifference {
  @Field(() => String, { description: 'Dotted path, e.g. train.epochs.' })
  path!: string;

  @Field(() => [GraphQLJSON], { description: 'Its value in each run, in the order of `runs`; null where unset.' })
  values!: unknown[];
}

@ObjectType({ description: 'The latest value of one metric in each compared run.' })
export class MetricComparison {
  @Field(() => String, { description: 'Metric key.' })
  key!: string;

  @Field(() => [Float], { nullable: 'items', description: 'Latest value per run, in the order of `runs`.' })
  values!: (number | null)[];
}

@ObjectType({ description: 'Runs side by side: what was configured differently and how they ended up.' })
export class RunComparison {
  @Field(() => [Run], { description: 'The runs, in the order asked for.' })
  runs!: Run[];

  @Field(() => [ConfigDifference], { description: 'Settings that differ.' })
  configDifferences!: ConfigDifference[];

  @Field(() => [MetricComparison], { description: 'Latest value of every metric any of them reported.' })
  metrics!: MetricComparison[];
}

@ObjectType({ description: 'An API key of a team (its secret is never shown again after creation).' })
export class ApiKey {
  @Field(() => ID, { description: 'Key id (not the secret).' })
  id!: string;

  @Field(() => String, { description: 'Name given at creation.' })
  name!: string;

  @Field(() => Date, { description: 'When it was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; revoked keys are refused.' })
  revokedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When it was last used (to the minute).' })
  lastUsedAt?: Date;
}

@ObjectType({ description: 'A new API key: the secret, shown this once, and its record.' })
export class CreatedApiKey {
  @Field(() => String, { description: 'The key: send it as "Authorization: Bearer <key>". Store it now.' })
  key!: string;

  @Field(() => ApiKey, { description: 'Its record.' })
  apiKey!: ApiKey;
}

@ObjectType({ description: 'New points of one metric, as they arrived (thinned to 200 per batch).' })
export class MetricBatch {
  @Field(() => String, { description: 'Metric key.' })
  key!: string;

  @Field(() => [MetricPoint], { description: 'The points, by step.' })
  points!: MetricPoint[];
}

@ObjectType({ description: 'Metric points a run reported, one message per stored batch.' })
export class MetricsAdded {
  @Field(() => ID, { description: 'The run.' })
  runId!: string;

  @Field(() => [MetricBatch], { description: 'New points per key.' })
  series!: MetricBatch[];
}
