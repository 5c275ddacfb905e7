// The GraphQL types of an experiment and of the team that owns it.
import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';
import { Dataset, Visibility } from '../graphql/enums.js';
import { ThreatModel, ThreatModelInput } from '../graphql/threat-model.js';

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
