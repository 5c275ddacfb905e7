// GraphQL input types. Their shapes are checked by GraphQL; their values are validated by the
// query and command modules, which name the offending field.
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import {
  Comparison,
  Dataset,
  MetricAggregate,
  Norm,
  RunKind,
  RunSortField,
  RunStatus,
  SortDirection,
  Visibility,
} from './enums.js';

@InputType({ description: 'A threat model: a norm and a radius.' })
export class ThreatModelInput {
  @Field(() => Norm, { description: 'The norm.' })
  norm!: Norm;

  @Field(() => Float, { description: 'The radius on [0, 1] images (at most 1 for L∞).' })
  epsilon!: number;
}

@InputType({ description: 'A closed range of numbers; either end may be left open.' })
export class RangeInput {
  @Field(() => Float, { nullable: true, description: 'Lowest value allowed.' })
  min?: number;

  @Field(() => Float, { nullable: true, description: 'Highest value allowed.' })
  max?: number;
}

@InputType({ description: 'A condition on one metric of a run.' })
export class MetricThresholdInput {
  @Field(() => String, { description: 'Metric key, e.g. eval/robust_acc.' })
  key!: string;

  @Field(() => MetricAggregate, { defaultValue: MetricAggregate.LAST, description: 'Which value of the series.' })
  aggregate!: MetricAggregate;

  @Field(() => Comparison, { description: 'How it compares with `value`.' })
  comparison!: Comparison;

  @Field(() => Float, { description: 'The threshold.' })
  value!: number;
}

@InputType({
  description:
    'Which runs to list. Conditions set in one filter must all hold; `and` adds filters that must all hold, `or` filters of which at least one must.',
})
export class RunFilter {
  @Field(() => ID, { nullable: true, description: 'Runs of this experiment.' })
  experimentId?: string;

  @Field(() => [RunKind], { nullable: true, description: 'Runs of any of these kinds.' })
  kinds?: RunKind[];

  @Field(() => [RunStatus], { nullable: true, description: 'Runs in any of these statuses.' })
  statuses?: RunStatus[];

  @Field(() => [String], { nullable: true, description: 'Runs that carry every one of these tags.' })
  tags?: string[];

  @Field(() => RangeInput, { nullable: true, description: 'Parameter count of the run’s current architecture.' })
  params?: RangeInput;

  @Field(() => [MetricThresholdInput], { nullable: true, description: 'Metric conditions, all of which must hold.' })
  metrics?: MetricThresholdInput[];

  @Field(() => [RunFilter], { nullable: true, description: 'Filters that must all hold as well.' })
  and?: RunFilter[];

  @Field(() => [RunFilter], { nullable: true, description: 'Filters of which at least one must hold as well.' })
  or?: RunFilter[];
}

@InputType({ description: 'Order of a run list.' })
export class RunOrder {
  @Field(() => RunSortField, { description: 'What to sort by.' })
  field!: RunSortField;

  @Field(() => SortDirection, { defaultValue: SortDirection.DESC, description: 'Direction.' })
  direction!: SortDirection;

  @Field(() => String, { nullable: true, description: 'Metric key, when sorting by METRIC.' })
  metricKey?: string;
}

@InputType({ description: 'A new experiment.' })
export class CreateExperimentInput {
  @Field(() => String, { description: 'Name, 1 to 200 characters.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Free text, up to 8192 characters.' })
  description?: string;

  @Field(() => Dataset, { description: 'Data set.' })
  dataset!: Dataset;

  @Field(() => ThreatModelInput, { description: 'Threat model.' })
  threatModel!: ThreatModelInput;

  @Field(() => Float, { nullable: true, description: 'Most parameters a selected architecture may have.' })
  parameterBudget?: number;

  @Field(() => [String], { nullable: true, description: 'Tags.' })
  tags?: string[];

  @Field(() => Visibility, { defaultValue: Visibility.PRIVATE, description: 'Who may read it.' })
  visibility!: Visibility;
}

@InputType({ description: 'Settings every start-run input shares.' })
export class RunStartOptions {
  @Field(() => ID, {
    nullable: true,
    description:
      'Your id for the new run (letters, digits, _ and -, up to 64), unique within your team. Choose one to make a retried mutation safe: a second start with the same id returns the first run and publishes no second job. The run gets a run id of its own (derived from your team and this id); run(id:) accepts either. Other teams’ ids never collide with yours.',
  })
  runId?: string;

  @Field(() => Int, { nullable: true, description: 'Random seed; a random one when left out.' })
  seed?: number;

  @Field(() => Int, { nullable: true, description: 'Use only this many training examples (quick runs).' })
  trainLimit?: number;

  @Field(() => Int, { nullable: true, description: 'Use only this many test examples.' })
  testLimit?: number;

  @Field(() => [String], { nullable: true, description: 'Tags of the new run.' })
  tags?: string[];
}

@InputType({ description: 'An architecture search of an experiment.' })
export class StartSearchInput extends RunStartOptions {
  @Field(() => ID, { description: 'The experiment.' })
  experimentId!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Search settings (searchConfig of the job contract).',
  })
  search?: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Selection settings (selectionConfig); the budget defaults to the experiment’s.',
  })
  selection?: Record<string, unknown>;
}

@InputType({ description: 'Search, selection, training and evaluation as one run.' })
export class StartPipelineInput extends StartSearchInput {
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Training settings (trainConfig).' })
  train?: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Evaluation settings (evaluateConfig); the threat model defaults to the experiment’s.',
  })
  evaluate?: Record<string, unknown>;
}

@InputType({ description: 'Training of one architecture, given as a genotype or as an architecture hash.' })
export class StartTrainingInput extends RunStartOptions {
  @Field(() => ID, { description: 'The experiment.' })
  experimentId!: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Genotype to train (exactly one of genotype and architecture).',
  })
  genotype?: unknown;

  @Field(() => ID, { nullable: true, description: 'Hash of a known architecture to train.' })
  architecture?: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Training settings (trainConfig).' })
  train?: Record<string, unknown>;
}

@InputType({ description: 'Evaluation under attack of the weights a training run produced.' })
export class StartEvaluationInput extends RunStartOptions {
  @Field(() => ID, { description: 'The succeeded TRAIN or PIPELINE run whose weights are attacked.' })
  trainedRunId!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Evaluation settings (evaluateConfig); the threat model defaults to the experiment’s.',
  })
  evaluate?: Record<string, unknown>;
}
