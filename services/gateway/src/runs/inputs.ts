// The run inputs: the run list's filter and order, and the inputs of the start mutations. Their
// shapes are checked by GraphQL; their values are validated by run-list.ts and start-run.ts, which
// name the offending field.
import { ArgsType, Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { RunKind, RunStatus } from '../graphql/enums.js';
import {
  EvaluateSettingsInput,
  SearchSettingsInput,
  SelectionSettingsInput,
  StudySettingsInput,
  TrainSettingsInput,
} from './settings-inputs.js';

export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
registerEnumType(SortDirection, { name: 'SortDirection', description: 'Ascending or descending.' });

export enum RunSortField {
  CREATED_AT = 'CREATED_AT',
  STARTED_AT = 'STARTED_AT',
  FINISHED_AT = 'FINISHED_AT',
  PARAMS = 'PARAMS',
  METRIC = 'METRIC',
}
registerEnumType(RunSortField, {
  name: 'RunSortField',
  description: 'What runs are sorted by; runs without a value come last either way.',
  valuesConfig: {
    CREATED_AT: { description: 'When the run was started (queued).' },
    STARTED_AT: { description: 'When a worker began it.' },
    FINISHED_AT: { description: 'When it ended.' },
    PARAMS: { description: 'Parameter count of its current architecture.' },
    METRIC: { description: 'Latest value of the metric named by `metricKey`.' },
  },
});

export enum MetricAggregate {
  LAST = 'LAST',
  MIN = 'MIN',
  MAX = 'MAX',
}
registerEnumType(MetricAggregate, {
  name: 'MetricAggregate',
  description: 'Which value of a metric series a threshold looks at.',
  valuesConfig: {
    LAST: { description: 'The value at the highest step.' },
    MIN: { description: 'The lowest value.' },
    MAX: { description: 'The highest value.' },
  },
});

export enum Comparison {
  GT = 'GT',
  GTE = 'GTE',
  LT = 'LT',
  LTE = 'LTE',
}
registerEnumType(Comparison, { name: 'Comparison', description: 'How a value compares with a threshold.' });

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

  @Field(() => SearchSettingsInput, { nullable: true, description: 'Search settings; the TINY preset when unset.' })
  search?: SearchSettingsInput;

  @Field(() => SelectionSettingsInput, {
    nullable: true,
    description: 'Selection settings; the budget defaults to the experiment’s, else the preset’s.',
  })
  selection?: SelectionSettingsInput;
}

@InputType({ description: 'Search, selection, training and evaluation as one run.' })
export class StartPipelineInput extends StartSearchInput {
  @Field(() => TrainSettingsInput, { nullable: true, description: 'Retraining settings.' })
  train?: TrainSettingsInput;

  @Field(() => EvaluateSettingsInput, {
    nullable: true,
    description: 'Evaluation settings; the threat model defaults to the experiment’s.',
  })
  evaluate?: EvaluateSettingsInput;
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

  @Field(() => TrainSettingsInput, { nullable: true, description: 'Retraining settings.' })
  train?: TrainSettingsInput;
}

@InputType({ description: 'Evaluation under attack of the weights a training run produced.' })
export class StartEvaluationInput extends RunStartOptions {
  @Field(() => ID, { description: 'The succeeded TRAIN or PIPELINE run whose weights are attacked.' })
  trainedRunId!: string;

  @Field(() => EvaluateSettingsInput, {
    nullable: true,
    description: 'Evaluation settings; the threat model defaults to the experiment’s.',
  })
  evaluate?: EvaluateSettingsInput;
}

@InputType({ description: 'A study: LRNAS against its ablations and baselines at one budget, over seeds.' })
export class StartStudyInput {
  @Field(() => ID, { description: 'The experiment the study and its rows are filed under.' })
  experimentId!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Your own id for the run (1 to 64 letters, digits, "_" or "-"); starting it again returns it.',
  })
  runId?: string;

  @Field(() => [String], { nullable: true, description: 'Tags of the study run.' })
  tags?: string[];

  @Field(() => StudySettingsInput, { nullable: true, description: 'Study settings; the SMALL preset when unset.' })
  study?: StudySettingsInput;
}

/**
 * The arguments of a page of runs, which the runs query and Experiment.runs share. Declared in the
 * order the SDL lists them.
 */
@ArgsType()
export class RunPageArgs {
  @Field(() => String, { nullable: true, description: 'Cursor of the last run of the previous page.' })
  after?: string;

  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' })
  first?: number;

  @Field(() => RunOrder, { nullable: true, description: 'Order; newest first by default.' })
  orderBy?: RunOrder;

  @Field(() => RunFilter, { nullable: true, description: 'Which runs.' })
  filter?: RunFilter;
}
