import { BigIntType, Entity, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Run } from './run.js';

/** A file a run stored in the JetStream object store (checkpoint, weights, genotype, report). */
@Entity({ tableName: 'artifacts' })
@Unique({ properties: ['run', 'name'] })
export class Artifact {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @Property({ type: 'string', length: 16 })
  kind!: string;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'string', length: 200 })
  digest!: string;

  @Property({ type: new BigIntType('number') })
  size!: number;

  @Property({ type: 'string', length: 16, nullable: true })
  stage?: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
