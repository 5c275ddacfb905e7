// The inputs of the logging mutations: runs the platform did not start, logged by a client
// elsewhere (a script through @lrnas/client, the lrnas CLI with --hub). Their shapes are checked by
// GraphQL; their values by the event contract (commands.ts), naming the offending field.
import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';
import { RunKind, RunSource } from '../graphql/enums.js';
import { ThreatModelInput } from '../graphql/threat-model.js';
import { AttackSpecInput } from '../runs/settings-inputs.js';

@InputType({ description: 'A run that a client executes elsewhere and logs to the hub.' })
export class CreateRunInput {
  @Field(() => ID, { description: 'The experiment.' })
  experimentId!: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'Your id for the run (letters, digits, _ and -, up to 64), unique within your team: creating it again returns the same run, so a retried call is safe.',
  })
  runId?: string;

  @Field(() => String, { nullable: true, description: 'A name to show, up to 200 characters.' })
  name?: string;

  @Field(() => RunKind, { defaultValue: RunKind.TRAIN, description: 'What it does (TRAIN when unset).' })
  kind!: RunKind;

  @Field(() => RunSource, { defaultValue: RunSource.CLIENT, description: 'Who logs it: CLIENT or CLI.' })
  source!: RunSource;

  @Field(() => String, {
    nullable: true,
    description: 'The logging client and its version, e.g. "@lrnas/client 0.1.0" (provenance).',
  })
  client?: string;

  @Field(() => Int, { nullable: true, description: 'Random seed of the run (0 when unset).' })
  seed?: number;

  @Field(() => [String], { nullable: true, description: 'Tags.' })
  tags?: string[];

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Its settings or hyperparameters, shown as the run’s config (at most 64 KiB of JSON).',
  })
  config?: Record<string, unknown>;
}

@InputType({ description: 'One value of a metric series at a step.' })
export class MetricPointInput {
  @Field(() => String, { description: 'Metric key, e.g. train/loss (a letter, then letters, digits, _ . : / -).' })
  key!: string;

  @Field(() => Int, { description: 'Step (or epoch), from 0; a point logged again at its step replaces the first.' })
  step!: number;

  @Field(() => Float, { nullable: true, description: 'The value; null marks a diverged (non-finite) value.' })
  value!: number | null;

  @Field(() => Date, { nullable: true, description: 'When it was measured; when the hub got it if unset.' })
  time?: Date;
}

@ObjectType({ description: 'What a logMetrics call stored.' })
export class LoggedMetrics {
  @Field(() => Int, { description: 'Points stored (a point logged again at its step counts again).' })
  stored!: number;
}

@InputType({ description: 'The evaluation network an architecture’s counts are for.' })
export class NetworkShapeInput {
  @Field(() => Int, { description: 'Initial channels C.' })
  channels!: number;

  @Field(() => Int, { description: 'Cells L.' })
  layers!: number;

  @Field(() => Int, { description: 'Classes.' })
  classes!: number;

  @Field(() => Int, { description: 'Channels of an input image.' })
  inputChannels!: number;

  @Field(() => Int, { description: 'Side of an input image, in pixels.' })
  imageSize!: number;
}

@InputType({ description: 'The architecture a logged run found or trained.' })
export class LogArchitectureInput {
  @Field(() => GraphQLJSON, { description: 'The genotype (normal and reduce cells, as in genotypes.json).' })
  genotype!: unknown;

  @Field(() => NetworkShapeInput, { description: 'The network the counts below are for.' })
  network!: NetworkShapeInput;

  @Field(() => Float, { description: 'Parameters of that network.' })
  params!: number;

  @Field(() => Float, { nullable: true, description: 'Its multiply-accumulates per image.' })
  flops?: number;
}

@InputType({ description: 'A result of a logged run under attack.' })
export class LogEvaluationInput {
  @Field(() => AttackSpecInput, { description: 'The attack and the settings it ran with.' })
  attack!: AttackSpecInput;

  @Field(() => ThreatModelInput, { nullable: true, description: 'Threat model; the experiment’s when unset.' })
  threatModel?: ThreatModelInput;

  @Field(() => Int, { description: 'Test images attacked.' })
  examples!: number;

  @Field(() => Int, { nullable: true, description: 'Seed of the attack (0 when unset).' })
  seed?: number;

  @Field(() => Float, { description: 'Accuracy on the clean images, 0 to 1.' })
  cleanAccuracy!: number;

  @Field(() => Float, { description: 'Accuracy under the attack, 0 to 1.' })
  robustAccuracy!: number;

  @Field(() => String, { nullable: true, description: 'Compute backend it ran on.' })
  backend?: string;

  @Field(() => String, { nullable: true, description: 'Version of the code that attacked.' })
  engineVersion?: string;
}
