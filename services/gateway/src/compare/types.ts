// The GraphQL types of a comparison of runs.
import { Field, Float, ObjectType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import { Run } from '../runs/types.js';

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
