import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import { Architecture } from './architecture.js';
import { Team } from './team.js';

/**
 * The best run of an architecture on a data set under a threat model (per attack, or `''` for the
 * whole suite), among the runs of public experiments (`team` null) or of one team's private ones:
 * what a leaderboard row is made of, so that a viewer's leaderboard reads at most two rows per
 * architecture (the public one and its team's). Derived from `run_results` in the same
 * transaction (results/run-results.ts). The best run is the most robust, then the cleanest, then
 * the first by id; `firstRunId` is the first by id of all the runs summed up, which orders equal
 * rows as the per-run ranking does.
 */
@Entity({ tableName: 'architecture_results' })
@Index({ properties: ['dataset', 'threatNorm', 'attack', 'threatEpsilon', 'params'] })
export class ArchitectureResult {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Architecture, { deleteRule: 'cascade' })
  architecture!: Rel<Architecture>;

  @Property({ type: 'string', length: 32 })
  dataset!: string;

  @Property({ type: 'string', length: 8 })
  threatNorm!: string;

  @Property({ type: 'double' })
  threatEpsilon!: number;

  /** As in `run_results`: an attack, or `WHOLE_SUITE`. */
  @Property({ type: 'string', length: 32 })
  attack!: string;

  /** The team whose private runs these are; null for the runs of public experiments. */
  @ManyToOne(() => Team, { nullable: true, deleteRule: 'cascade' })
  team?: Rel<Team> | null;

  @Property({ type: new BigIntType('number') })
  params!: number;

  /**
   * The best run: its id, not a foreign key, whose check would take a key-share lock on the run,
   * which another replica's batch may hold locked while it waits for this architecture.
   */
  @Property({ type: 'string', length: 64 })
  runId!: string;

  @Property({ type: 'double' })
  robustAccuracy!: number;

  @Property({ type: 'double' })
  cleanAccuracy!: number;

  @Property({ type: 'string', length: 64 })
  firstRunId!: string;
}
