import {
  BigIntType,
  Collection,
  Entity,
  ManyToOne,
  OneToMany,
  OptionalProps,
  PrimaryKey,
  Property,
  type Rel,
} from '@mikro-orm/core';
import type { Genotype } from '@lrnas/schema';
import { ArchitectureFinding } from './architecture-finding.js';
import { Run } from './run.js';

/** A distinct architecture: its canonical genotype, identified by the genotype's hash. */
@Entity({ tableName: 'architectures' })
export class Architecture {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt' | 'findings';

  /** `genotypeHash` of the canonical genotype. */
  @PrimaryKey({ type: 'string', length: 64 })
  hash!: string;

  @Property({ type: 'json' })
  genotype!: Genotype;

  /** Parameters and multiply-accumulates of the evaluation network at the size below. */
  @Property({ type: new BigIntType('number') })
  params!: number;

  @Property({ type: new BigIntType('number'), nullable: true })
  flops?: number;

  @Property({ type: 'integer' })
  channels!: number;

  @Property({ type: 'integer' })
  layers!: number;

  @Property({ type: 'integer' })
  classes!: number;

  /** The first run to report it, whoever's: kept for the record, shown only through findings. */
  @ManyToOne(() => Run, { nullable: true, deleteRule: 'set null' })
  originRun?: Rel<Run>;

  /** Every run that reported it, and when. */
  @OneToMany(() => ArchitectureFinding, (f) => f.architecture)
  findings = new Collection<ArchitectureFinding>(this);

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
