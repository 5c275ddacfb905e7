// The settings of the start mutations, typed field by field after the job contract's configs
// (searchConfig, selectionConfig, trainConfig, evaluateConfig of @lrnas/schema): GraphQL refuses an
// unknown setting or enum value naming it, and the contract's schema checks the ranges, naming the
// field (start-run.ts). settings-inputs.test.ts checks each input against its contract schema, so a
// setting the contract gains or loses fails the build of the API until it is here as well.
import { Field, Float, InputType, Int, registerEnumType } from 'type-graphql';
import {
  enumObject,
  ESTIMATION_MODES,
  LR_SCHEDULES,
  SEARCH_PRESETS,
  SELECTION_MODES,
  STUDY_ARMS,
  STUDY_PRESETS,
  TRAIN_METHODS,
} from '@lrnas/schema';
import { Attack, Dataset } from '../graphql/enums.js';
import { ThreatModelInput } from '../graphql/threat-model.js';

export const SearchPreset = enumObject(SEARCH_PRESETS);
registerEnumType(SearchPreset, {
  name: 'SearchPreset',
  description: 'Named search settings; a setting given beside the preset overrides it.',
  valuesConfig: {
    TINY: {
      description:
        'Minutes on two cores: C=8, 5 cells, 2 epochs (1 of warm-up), batch 64, one permutation, on 1,000 training images; selects under 60,000 parameters at C=8, L=5 unless told otherwise.',
    },
    PAPER: {
      description:
        'The paper’s search: C=16, 8 cells, 50 epochs (15 of warm-up), batch 128, 10 permutations of 64 images; selects under 2,000,000 parameters at C=36, L=20 unless told otherwise.',
    },
  },
});

export const EstimationMode = enumObject(ESTIMATION_MODES);
registerEnumType(EstimationMode, {
  name: 'EstimationMode',
  description: 'How operation contributions are estimated.',
  valuesConfig: {
    SHAPLEY: { description: 'Monte Carlo Shapley values over random permutations of the operations.' },
    REFERENCE: { description: 'As the released code does: each operation against the reference network.' },
  },
});

export const SelectionMode = enumObject(SELECTION_MODES);
registerEnumType(SelectionMode, {
  name: 'SelectionMode',
  description: 'How operations are selected under the parameter budget.',
  valuesConfig: {
    STRICT: { description: 'Greedy by contribution; a budget below the smallest network is an error.' },
    REFERENCE: { description: 'Greedy as the released code does it.' },
    NO_GREEDY: { description: 'DARTS parsing: the strongest operations whatever the budget (an ablation).' },
  },
});

export const TrainMethod = enumObject(TRAIN_METHODS);
registerEnumType(TrainMethod, {
  name: 'TrainMethod',
  description: 'How a genotype is retrained.',
  valuesConfig: {
    STANDARD: { description: 'Clean examples only.' },
    MADRY: { description: 'PGD adversarial training.' },
    TRADES: { description: 'TRADES: clean loss plus beta times the KL divergence to adversarial outputs.' },
    FGSM_RS: { description: 'FGSM from a random start (fast adversarial training).' },
  },
});

export const LearningRateSchedule = enumObject(LR_SCHEDULES);
registerEnumType(LearningRateSchedule, {
  name: 'LearningRateSchedule',
  description: 'How the learning rate falls during retraining.',
  valuesConfig: {
    COSINE: { description: 'Cosine annealing to zero.' },
    STEP: { description: 'Divided by 10 at each milestone epoch.' },
  },
});

@InputType({ description: 'Search settings (lrnas-method.md sections 2 to 5); unset ones take the preset’s.' })
export class SearchSettingsInput {
  @Field(() => SearchPreset, { nullable: true, description: 'Preset the other settings override (TINY when unset).' })
  preset?: string;

  @Field(() => Int, { nullable: true, description: 'Initial channels C of the supernet.' })
  channels?: number;

  @Field(() => Int, { nullable: true, description: 'Cells L of the supernet.' })
  layers?: number;

  @Field(() => Int, { nullable: true, description: 'Search epochs, warm-up included.' })
  epochs?: number;

  @Field(() => Int, { nullable: true, description: 'Epochs that train weights only, before the alphas move.' })
  warmupEpochs?: number;

  @Field(() => Int, { nullable: true, description: 'Images per step.' })
  batchSize?: number;

  @Field(() => Float, { nullable: true, description: 'Learning rate of the supernet’s weights.' })
  learningRate?: number;

  @Field(() => Float, { nullable: true, description: 'SGD momentum, 0 to 1.' })
  momentum?: number;

  @Field(() => Float, { nullable: true, description: 'Weight decay, 0 to 1.' })
  weightDecay?: number;

  @Field(() => Float, { nullable: true, description: 'Gradient norm clipping threshold.' })
  gradientClip?: number;

  @Field(() => Int, { nullable: true, description: 'Partial-channel divisor k (1/k of the channels go through ops).' })
  partialChannels?: number;

  @Field(() => Int, { nullable: true, description: 'Permutations per contribution estimate (Shapley mode).' })
  permutations?: number;

  @Field(() => Int, { nullable: true, description: 'Images per contribution estimate.' })
  estimateBatchSize?: number;

  @Field(() => EstimationMode, { nullable: true, description: 'How contributions are estimated.' })
  estimationMode?: string;

  @Field(() => Float, { nullable: true, description: 'Radius of the FGSM examples the search scores ops on.' })
  fgsmEpsilon?: number;
}

@InputType({ description: 'Greedy selection under a parameter budget (lrnas-method.md section 6).' })
export class SelectionSettingsInput {
  @Field(() => Float, {
    nullable: true,
    description: 'Parameter budget, counted at the evaluation size; the experiment’s, else the preset’s, when unset.',
  })
  budget?: number;

  @Field(() => SelectionMode, { nullable: true, description: 'How operations are selected (STRICT when unset).' })
  mode?: string;

  @Field(() => Int, { nullable: true, description: 'Channels C of the evaluation network the budget counts.' })
  channels?: number;

  @Field(() => Int, { nullable: true, description: 'Cells L of the evaluation network the budget counts.' })
  layers?: number;
}

@InputType({ description: 'Retraining of a fixed genotype (lrnas-method.md section 7).' })
export class TrainSettingsInput {
  @Field(() => TrainMethod, { nullable: true, description: 'Training method (MADRY when unset).' })
  method?: string;

  @Field(() => ThreatModelInput, { nullable: true, description: 'Threat model; the experiment’s when unset.' })
  threatModel?: ThreatModelInput;

  @Field(() => Int, { nullable: true, description: 'Initial channels C of the network.' })
  channels?: number;

  @Field(() => Int, { nullable: true, description: 'Cells L of the network.' })
  layers?: number;

  @Field(() => Int, { nullable: true, description: 'Epochs.' })
  epochs?: number;

  @Field(() => Int, { nullable: true, description: 'Images per step.' })
  batchSize?: number;

  @Field(() => Float, { nullable: true, description: 'Initial learning rate.' })
  learningRate?: number;

  @Field(() => Float, { nullable: true, description: 'SGD momentum, 0 to 1.' })
  momentum?: number;

  @Field(() => Float, { nullable: true, description: 'Weight decay, 0 to 1.' })
  weightDecay?: number;

  @Field(() => LearningRateSchedule, { nullable: true, description: 'Learning-rate schedule.' })
  schedule?: string;

  @Field(() => [Int], { nullable: true, description: 'Epochs where a STEP schedule divides the rate by 10.' })
  milestones?: number[];

  @Field(() => Int, { nullable: true, description: 'Steps of the training attack.' })
  attackSteps?: number;

  @Field(() => Float, { nullable: true, description: 'Step size of the training attack.' })
  attackStepSize?: number;

  @Field(() => Float, { nullable: true, description: 'TRADES beta.' })
  tradesBeta?: number;

  @Field(() => Float, { nullable: true, description: 'Weight of the auxiliary head’s loss (0 for none).' })
  auxiliaryWeight?: number;

  @Field(() => Float, { nullable: true, description: 'Drop-path probability, 0 to 1.' })
  dropPath?: number;

  @Field(() => Boolean, { nullable: true, description: 'Random crops and flips of the training images.' })
  augment?: boolean;
}

@InputType({ description: 'One attack of an evaluation; unset settings take the attack’s defaults.' })
export class AttackSpecInput {
  @Field(() => Attack, { description: 'The attack.' })
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Iterations (queries for SQUARE).' })
  steps?: number;

  @Field(() => Float, { nullable: true, description: 'Step size, on [0, 1] images.' })
  stepSize?: number;

  @Field(() => Int, { nullable: true, description: 'Random restarts.' })
  restarts?: number;
}

@InputType({ description: 'Evaluation under attack (lrnas-method.md section 7).' })
export class EvaluateSettingsInput {
  @Field(() => ThreatModelInput, { nullable: true, description: 'Threat model; the experiment’s when unset.' })
  threatModel?: ThreatModelInput;

  @Field(() => [AttackSpecInput], { nullable: true, description: 'The attack suite; PGD alone when unset.' })
  attacks?: AttackSpecInput[];

  @Field(() => Int, {
    nullable: true,
    description: 'Test images attacked; when unset, 500 in a TINY pipeline, else the whole test set.',
  })
  examples?: number;

  @Field(() => Int, { nullable: true, description: 'Images per batch.' })
  batchSize?: number;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Attack only the images every earlier attack failed on, as AutoAttack does (APGD_CE, APGD_T, FAB_T, SQUARE in that order is its standard suite).',
  })
  cascade?: boolean;
}

export const StudyPreset = enumObject(STUDY_PRESETS);
registerEnumType(StudyPreset, {
  name: 'StudyPreset',
  description: 'Named study settings; a setting given beside the preset overrides it.',
  valuesConfig: {
    SMALL: {
      description:
        'About 80 minutes on two idle cores (measured, engine study/settings.ts): Fashion-MNIST and MNIST, seeds 0 and 1, every arm, 60,000 parameters at C=8, L=5; short searches and adversarial retraining, attacked with FGSM, PGD-20 and APGD-CE.',
    },
  },
});

export const StudyArm = enumObject(STUDY_ARMS);
registerEnumType(StudyArm, {
  name: 'StudyArm',
  description: 'A row of a study: LRNAS, one of its ablations, or a baseline at the same budget.',
  valuesConfig: {
    LRNAS: { description: 'Search and strict greedy selection.' },
    NO_GREEDY: { description: 'Ablation: DARTS parsing of the LRNAS search instead of greedy selection.' },
    NO_WARMUP: { description: 'Ablation: contribution scoring from the first epoch.' },
    REFERENCE_ESTIMATION: { description: 'Ablation: the released code’s reference estimation instead of Shapley.' },
    RANDOM: { description: 'Baseline: random genotypes sampled within the budget.' },
    DARTS_V2: { description: 'Baseline: the DARTS_V2 cell, channels scaled to the budget.' },
    LRNAS_C10: { description: 'Baseline: the published LRNAS CIFAR-10 cell, channels scaled to the budget.' },
    RESNET: { description: 'Baseline: a residual chain of convolutions, channels scaled to the budget.' },
  },
});

@InputType({ description: 'Settings of a study (issue 15); unset ones take the preset’s.' })
export class StudySettingsInput {
  @Field(() => StudyPreset, { nullable: true, description: 'Preset the other settings override (SMALL when unset).' })
  preset?: string;

  @Field(() => [Dataset], { nullable: true, description: 'Data sets, each a table of its own.' })
  datasets?: string[];

  @Field(() => [StudyArm], { nullable: true, description: 'Rows of the table (every arm when unset).' })
  arms?: string[];

  @Field(() => [Int], { nullable: true, description: 'Seeds of every row: search, sampling, retraining, attacks.' })
  seeds?: number[];

  @Field(() => Float, { nullable: true, description: 'Parameters of every row’s evaluation network.' })
  budget?: number;

  @Field(() => Int, { nullable: true, description: 'Random genotypes per seed of the RANDOM row.' })
  randomArchitectures?: number;

  @Field(() => Int, { nullable: true, description: 'Epochs of each search.' })
  searchEpochs?: number;

  @Field(() => Int, { nullable: true, description: 'Epochs of each retraining.' })
  trainEpochs?: number;

  @Field(() => Int, { nullable: true, description: 'Training images loaded (the search takes a subset).' })
  trainLimit?: number;

  @Field(() => Int, { nullable: true, description: 'Test images each row is attacked on.' })
  evalExamples?: number;
}
