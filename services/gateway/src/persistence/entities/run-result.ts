import { BigIntType, Entity, Index, ManyToOne, PrimaryKey, Property, type Rel, Unique } from '@mikro-orm/core';
import { Architecture } from './architecture.js';
import { Experiment } from './experiment.js';
import { Run } from './run.js';

/** `RunResult.attack` of the row that sums up every attack of the suite. */
export const WHOLE_SUITE = '';

/**
 * What a run scored on a data set under a threat model, reduced from its evaluations: the worst
 * robust accuracy over the attack suite (attack `''`) and over each attack alone, with the best
 * clean accuracy, as the leaderboard ranks runs. Rewritten from the evaluations in the transaction
 * that stores them (results/run-results.ts), so it is a function of the evaluations whatever
 * order they came in; the leaderboard and the Pareto front read it instead of the evaluations.
 * Experiment and parameters are copied from the run and the architecture (neither ever changes)
 * so that the visibility and `maxParams` filters need no join to the runs.
 */
@Entity({ tableName: 'run_results' })
@Unique({ properties: ['run', 'architecture', 'dataset', 'threatNorm', 'threatEpsilon', 'attack'] })
@Index({ properties: ['dataset', 'threatNorm', 'attack', 'threatEpsilon', 'params'] })
export class RunResult {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @ManyToOne(() => Architecture, { deleteRule: 'cascade' })
  architecture!: Rel<Architecture>;

  @ManyToOne(() => Experiment, { deleteRule: 'cascade' })
  experiment!: Rel<Experiment>;

  @Property({ type: 'string', length: 32 })
  dataset!: string;

  @Property({ type: 'string', length: 8 })
  threatNorm!: string;

  @Property({ type: 'double' })
  threatEpsilon!: number;

  /** The attack this row is of; `WHOLE_SUITE` for the worst case over all of them. */
  @Property({ type: 'string', length: 32 })
  attack!: string;

  @Property({ type: new BigIntType('number') })
  params!: number;

  /** The lowest robust accuracy of the evaluations summed up. */
  @Property({ type: 'double' })
  robustAccuracy!: number;

  /** The highest clean accuracy of the evaluations summed up. */
  @Property({ type: 'double' })
  cleanAccuracy!: number;
}
