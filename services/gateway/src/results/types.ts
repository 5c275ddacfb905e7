// The GraphQL types of results: architectures, their evaluations and the leaderboard built on them.
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { Attack, Dataset } from '../graphql/enums.js';
import { ThreatModel } from '../graphql/threat-model.js';
import { Run } from '../runs/types.js';

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
