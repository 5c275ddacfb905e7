// The GraphQL enums that several concepts share (run kind and status, visibility, data set, norm,
// attack); those of the contract derive from its lists in @lrnas/schema (enums.test.ts checks them).
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
import { RunKind, RunSource, RunStatus, Visibility } from '../persistence/entities/index.js';

export { RunKind, RunSource, RunStatus, Visibility };

registerEnumType(RunKind, {
  name: 'RunKind',
  description: 'What a run does.',
  valuesConfig: {
    SEARCH: { description: 'Architecture search and selection under the parameter budget.' },
    TRAIN: { description: 'Adversarial retraining of one genotype.' },
    EVALUATE: { description: 'Attacks on the weights a training run produced.' },
    PIPELINE: { description: 'Search, selection, training and evaluation as one job.' },
    STUDY: {
      description:
        'A study: LRNAS against its ablations and baselines at one budget, over seeds; each finished row is a TRAIN run of its own whose parent is the study.',
    },
  },
});
registerEnumType(RunSource, {
  name: 'RunSource',
  description: 'Who executes a run and reports on it.',
  valuesConfig: {
    WORKER: { description: 'A worker of the platform, given the job by a start mutation.' },
    CLIENT: { description: 'A program elsewhere that logs it through @lrnas/client (createRun).' },
    CLI: { description: 'The lrnas CLI elsewhere, logging with --hub (createRun).' },
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
