import { BigIntType, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Team } from './team.js';

export enum Visibility {
  PRIVATE = 'PRIVATE',
  PUBLIC = 'PUBLIC',
}

/** A line of work: one data set, one threat model, an optional parameter budget, tags. */
@Entity({ tableName: 'experiments' })
export class Experiment {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt' | 'tags' | 'visibility';

  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  @ManyToOne(() => Team, { deleteRule: 'cascade' })
  team!: Rel<Team>;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description?: string;

  @Index()
  @Property({ type: 'string', length: 32 })
  dataset!: string;

  @Property({ type: 'string', length: 8 })
  threatNorm!: string;

  @Property({ type: 'double' })
  threatEpsilon!: number;

  @Property({ type: new BigIntType('number'), nullable: true })
  parameterBudget?: number;

  @Property({ type: 'json' })
  tags: string[] = [];

  @Property({ type: 'string', length: 16 })
  visibility: Visibility = Visibility.PRIVATE;

  @Property({ type: 'datetime', nullable: true })
  archivedAt?: Date;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
