import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Architecture } from './architecture.js';
import { Run } from './run.js';

/** Accuracy of a trained network under one attack, with everything needed to reproduce it. */
@Entity({ tableName: 'evaluations' })
@Unique({ properties: ['run', 'settingsKey'] })
@Index({ properties: ['dataset', 'threatNorm', 'threatEpsilon', 'robustAccuracy'] })
export class Evaluation {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Architecture, { deleteRule: 'cascade' })
  architecture!: Rel<Architecture>;

  /** The run that produced the numbers (its trained weights were attacked). */
  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @Property({ type: 'string', length: 32 })
  dataset!: string;

  @Property({ type: 'string', length: 32 })
  attack!: string;

  /** Steps, step size, restarts as used. */
  @Property({ type: 'json' })
  attackSettings!: Record<string, number>;

  @Property({ type: 'string', length: 8 })
  threatNorm!: string;

  @Property({ type: 'double' })
  threatEpsilon!: number;

  @Property({ type: 'integer' })
  examples!: number;

  @Property({ type: 'integer' })
  seed!: number;

  @Property({ type: 'double' })
  cleanAccuracy!: number;

  @Property({ type: 'double' })
  robustAccuracy!: number;

  @Property({ type: 'string', length: 32 })
  backend!: string;

  @Property({ type: 'string', length: 32 })
  engineVersion!: string;

  /** Canonical text of attack, settings, threat model, examples and seed: a replayed event upserts. */
  @Property({ type: 'string', length: 400 })
  settingsKey!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
