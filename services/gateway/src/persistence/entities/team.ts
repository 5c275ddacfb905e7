import { Entity, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';

/** A team owns experiments and API keys. */
@Entity({ tableName: 'teams' })
export class Team {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @Property({ type: 'string', length: 200, unique: true })
  name!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/** An API key of a team. Only a hash of the secret is stored; `prefix` finds the row. */
@Entity({ tableName: 'api_keys' })
export class ApiKey {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @ManyToOne(() => Team, { deleteRule: 'cascade' })
  team!: Rel<Team>;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 16, unique: true })
  prefix!: string;

  /** Hex SHA-256 of the whole key; the key itself is shown once, at creation. */
  @Property({ type: 'string', length: 64 })
  secretHash!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date;
}
