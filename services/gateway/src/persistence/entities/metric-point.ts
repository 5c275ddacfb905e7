import { Entity, ManyToOne, PrimaryKey, Property, Unique, type Rel } from '@mikro-orm/core';
import { Run } from './run.js';

/** One value of one metric of a run at one step; unique on (run, key, step) so replays upsert. */
@Entity({ tableName: 'metric_points' })
@Unique({ properties: ['run', 'key', 'step'] })
export class MetricPoint {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @Property({ type: 'string', length: 128 })
  key!: string;

  @Property({ type: 'integer' })
  step!: number;

  /** Null when the value was not finite (a diverged loss, say). */
  @Property({ type: 'double', nullable: true })
  value!: number | null;

  @Property({ type: 'datetime' })
  time!: Date;
}
