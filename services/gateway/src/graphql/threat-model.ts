// The threat model in GraphQL: experiments, evaluations and the leaderboard all speak of it, so its
// object type, its input and the mapping from a row's columns live here once.
import { Field, Float, InputType, ObjectType } from 'type-graphql';
import { threatModelLabel, type Norm as NormName } from '@lrnas/schema';
import { Norm } from './enums.js';

@ObjectType({ description: 'Where an adversary may move an input: within epsilon of it in the given norm.' })
export class ThreatModel {
  @Field(() => Norm, { description: 'The norm.' })
  norm!: Norm;

  @Field(() => Float, { description: 'The radius, on images scaled to [0, 1].' })
  epsilon!: number;

  @Field(() => String, { description: 'Human label, e.g. "L∞ ε=8/255".' })
  label!: string;
}

@InputType({ description: 'A threat model: a norm and a radius.' })
export class ThreatModelInput {
  @Field(() => Norm, { description: 'The norm.' })
  norm!: Norm;

  @Field(() => Float, { description: 'The radius on [0, 1] images (at most 1 for L∞).' })
  epsilon!: number;
}

/** The ThreatModel object of a row's norm and radius columns. */
export function threatModelOf(row: { threatNorm: string; threatEpsilon: number }): ThreatModel {
  const model = { norm: row.threatNorm as NormName, epsilon: row.threatEpsilon };
  return { norm: model.norm as Norm, epsilon: model.epsilon, label: threatModelLabel(model) };
}
