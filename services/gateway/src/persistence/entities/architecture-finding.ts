import { Entity, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Architecture } from './architecture.js';
import { Run } from './run.js';

/**
 * A run that reported an architecture, and when it first did. An architecture is shared by every
 * run that finds it, but who found it when is each run's own: a team is shown its own findings
 * (and public ones), never the time or run of another team's private one.
 */
@Entity({ tableName: 'architecture_findings' })
@Unique({ properties: ['architecture', 'run'] })
export class ArchitectureFinding {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Architecture, { deleteRule: 'cascade' })
  architecture!: Rel<Architecture>;

  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @Property({ type: 'datetime' })
  foundAt!: Date;
}
