import {
  ATTACKS,
  DATASETS,
  enumObject,
  NORMS,
  type AttackName,
  type DatasetName,
  type Norm as NormName,
} from '@lrnas/schema';
import { registerEnumType } from 'type-graphql';
import { RunKind, RunStatus, Visibility } from '../persistence/entities/index.js';

export { RunKind, RunStatus, Visibility };

registerEnumType(RunKind, {
  name: 'RunKind',
  description: 'What a run does.',
  valuesConfig: {
    SEARCH: { description: 'Architecture search and selection under the parameter budget.' },
    TRAIN: { description: 'Adversarial retraining of one genotype.' },
    EVALUATE: { description: 'Attacks on the weights a training run produced.' },
    PIPELINE: { description: 'Search, selection, training and evaluation as one job.' },
  },
});
registerEnumType(RunStatus, {
  name: 'RunStatus',
  description: 'Where a run is in its life; SUCCEEDED, FAILED and CANCELLED are final.',
});
registerEnumType(Visibility, {
  name: 'Visibility',
  description: 'Who may read an experiment: its team only, or everyone.',
});

/** Data sets of the contract (`DATASETS` of @lrnas/schema); values are the contract names. */
export const Dataset = enumObject(DATASETS);
export type Dataset = DatasetName;
registerEnumType(Dataset, { name: 'Dataset', description: 'Image classification data sets the engine trains on.' });

/** Norms of threat models (`NORMS`); values are the contract names. */
export const Norm = enumObject(NORMS);
export type Norm = NormName;
registerEnumType(Norm, { name: 'Norm', description: 'Norm bounding an adversarial perturbation.' });

/** Attacks of the contract (`ATTACKS`); values are the contract names. */
export const Attack = enumObject(ATTACKS);
export type Attack = AttackName;
registerEnumType(Attack, { name: 'Attack', description: 'Adversarial attacks the engine evaluates with.' });

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
