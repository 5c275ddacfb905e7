import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One row, bumped in every transaction that rewrites the result summaries (results/run-results.ts):
 * a replica's cached ranking is the ranking at the version it read, and a version that moved on,
 * on any replica, means the cache must be read again (results/ranking-cache.ts). No row yet reads as 0.
 */
@Entity({ tableName: 'results_version' })
export class ResultsVersion {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  id!: number;

  @Property({ type: 'integer' })
  version!: number;
}
