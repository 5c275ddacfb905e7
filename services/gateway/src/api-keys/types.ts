// The GraphQL types of a team's API keys.
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An API key of a team (its secret is never shown again after creation).' })
export class ApiKey {
  @Field(() => ID, { description: 'Key id (not the secret).' })
  id!: string;

  @Field(() => String, { description: 'Name given at creation.' })
  name!: string;

  @Field(() => Date, { description: 'When it was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When it was revoked; revoked keys are refused.' })
  revokedAt?: Date;

  @Field(() => Date, { nullable: true, description: 'When it was last used (to the minute).' })
  lastUsedAt?: Date;
}

@ObjectType({ description: 'A new API key: the secret, shown this once, and its record.' })
export class CreatedApiKey {
  @Field(() => String, { description: 'The key: send it as "Authorization: Bearer <key>". Store it now.' })
  key!: string;

  @Field(() => ApiKey, { description: 'Its record.' })
  apiKey!: ApiKey;
}
