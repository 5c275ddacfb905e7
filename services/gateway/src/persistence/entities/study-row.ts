import {
  BigIntType,
  Entity,
  Index,
  ManyToOne,
  OneToOne,
  OptionalProps,
  PrimaryKey,
  Property,
  type Rel,
  Unique,
} from '@mikro-orm/core';
import type { AttackSpec } from '@lrnas/schema';
import { Architecture } from './architecture.js';
import { Run } from './run.js';

/**
 * One finished row of a study (a network retrained and attacked), as its study-row event told it. The row is
 * also a run of its own (`run`: a TRAIN run whose parent is the study), so that its evaluations rank on the
 * leaderboard like any other; this record keeps what the study's table needs, keyed by the row's name.
 */
@Entity({ tableName: 'study_rows' })
@Unique({ properties: ['study', 'key'] })
@Index({ properties: ['study', 'id'] })
export class StudyRow {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  /** The STUDY run. */
  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  study!: Rel<Run>;

  /** The row's own run, which its evaluations belong to. */
  @OneToOne(() => Run, { owner: true, unique: true, deleteRule: 'cascade' })
  run!: Rel<Run>;

  /** The row's name within its study, e.g. `mnist/seed-0/random-1`. */
  @Property({ type: 'string', length: 120 })
  key!: string;

  @Property({ type: 'string', length: 32 })
  dataset!: string;

  @Property({ type: 'string', length: 32 })
  arm!: string;

  @Property({ type: 'integer' })
  seed!: number;

  /** Which random genotype of its seed (0 for every other arm). */
  @Property({ type: 'integer' })
  index!: number;

  @ManyToOne(() => Architecture, { deleteRule: 'cascade' })
  architecture!: Rel<Architecture>;

  /** Counted for this row's network (channels scaled per row: an architecture's own counts are its first run's). */
  @Property({ type: new BigIntType('number') })
  params!: number;

  @Property({ type: new BigIntType('number') })
  flops!: number;

  @Property({ type: 'integer' })
  channels!: number;

  @Property({ type: 'integer' })
  layers!: number;

  @Property({ type: 'double' })
  cleanAccuracy!: number;

  /** Per example worst case over the attacks. */
  @Property({ type: 'double' })
  worstCase!: number;

  /** Every attack as it ran, with its robust accuracy. */
  @Property({ type: 'json' })
  attacks!: { attack: AttackSpec; robustAccuracy: number }[];

  @Property({ type: 'string', length: 8 })
  threatNorm!: string;

  @Property({ type: 'double' })
  threatEpsilon!: number;

  @Property({ type: 'integer' })
  examples!: number;

  @Property({ type: 'double' })
  seconds!: number;

  /** Rows the study plans in all, as the worker counted them when this row finished. */
  @Property({ type: 'integer' })
  planned!: number;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
