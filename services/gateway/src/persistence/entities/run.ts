import { Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, type Rel } from '@mikro-orm/core';
import {
  enumObject,
  RUN_KINDS,
  RUN_SOURCES,
  RUN_STATUSES,
  type RunKind as RunKindName,
  type RunSource as RunSourceName,
  type RunStatus as RunStatusName,
} from '@lrnas/schema';
import { newEventKey } from '@lrnas/schema/node';
import { Architecture } from './architecture.js';
import { Experiment } from './experiment.js';
import type { StageProgress } from '../../domain/stage-progress.js';

/** What a run does, as stored and served: the contract's job kinds (`RunKind.SEARCH === 'SEARCH'`). */
export const RunKind = enumObject(RUN_KINDS);
export type RunKind = RunKindName;

/** Who executes a run, as stored and served: the contract's RUN_SOURCES. */
export const RunSource = enumObject(RUN_SOURCES);
export type RunSource = RunSourceName;

/** Where a run is, as stored and served: the contract's RUN_STATUSES. */
export const RunStatus = enumObject(RUN_STATUSES);
export type RunStatus = RunStatusName;

/** One job of an experiment and everything the platform knows about its progress. */
@Entity({ tableName: 'runs' })
@Index({ properties: ['experiment', 'createdAt'] })
export class Run {
  /** Properties with defaults, optional when creating one. */
  [OptionalProps]?: 'createdAt' | 'status' | 'tags' | 'attempts' | 'lastAttempt' | 'lastSeq' | 'eventKey' | 'source';

  /**
   * Also the job's Nats-Msg-Id and the token in its event subjects: random, or derived from the
   * team and the client's own id (`teamRunId`), so it is unique on the bus whatever teams choose.
   */
  @PrimaryKey({ type: 'string', length: 64 })
  id!: string;

  /** The id the client chose when starting it (`runId` of the start input), unique within its team. */
  @Property({ type: 'string', length: 64, nullable: true })
  clientId?: string;

  @ManyToOne(() => Experiment, { deleteRule: 'cascade' })
  experiment!: Rel<Experiment>;

  @Property({ type: 'string', length: 16 })
  kind!: RunKind;

  @Index()
  @Property({ type: 'string', length: 16 })
  status: RunStatus = RunStatus.QUEUED;

  @Property({ type: 'string', length: 16, nullable: true })
  stage?: string;

  /**
   * The secret the run's job carries in its header and its events are signed with (schema's
   * event-signature.ts). Never serialised, never in the API: whoever knows it can write results.
   * Null only for runs made before events were signed; their events are refused.
   */
  @Property({ type: 'string', length: 64, nullable: true, hidden: true })
  eventKey: string | null = newEventKey();

  /** The job message's configuration, as published. */
  @Property({ type: 'json' })
  config!: Record<string, unknown>;

  @Property({ type: 'integer' })
  seed!: number;

  @ManyToOne(() => Run, { nullable: true, deleteRule: 'set null' })
  parent?: Rel<Run>;

  @Property({ type: 'json' })
  tags: string[] = [];

  @Property({ type: 'string', length: 64, nullable: true })
  workerId?: string;

  @Property({ type: 'string', length: 32, nullable: true })
  backend?: string;

  /** Delivery attempts seen so far (JetStream redeliveries). */
  @Property({ type: 'integer' })
  attempts = 0;

  /** Highest (attempt, seq) applied, so replayed or late events never move the run backwards. */
  @Property({ type: 'integer' })
  lastAttempt = 0;

  @Property({ type: 'integer' })
  lastSeq = -1;

  @Property({ type: 'json', nullable: true })
  progress?: StageProgress | null;

  /** The genotype the run currently holds: its latest selection, or the one it trains. */
  @ManyToOne(() => Architecture, { nullable: true, deleteRule: 'set null' })
  architecture?: Rel<Architecture>;

  @Property({ type: 'json', nullable: true })
  error?: { code: string; message: string } | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date;

  /**
   * When the last event of this run arrived; a running run that goes quiet is shown as stalled. For a
   * logged run, its client's last call (points, heartbeat): one silent too long is marked lost.
   */
  @Property({ type: 'datetime', nullable: true })
  lastEventAt?: Date;

  /** A worker's (started through the API) or a client's that logs it from elsewhere (createRun). */
  @Property({ type: 'string', length: 8 })
  source: RunSource = RunSource.WORKER;

  /** A name to show, given by the client that logs the run. */
  @Property({ type: 'string', length: 200, nullable: true })
  name?: string;

  /** Provenance of a logged run: the name of the API key that created it. */
  @Property({ type: 'string', length: 200, nullable: true })
  loggedBy?: string;

  /** Provenance of a logged run: the client and its version, e.g. `@lrnas/client 0.1.0`. */
  @Property({ type: 'string', length: 100, nullable: true })
  client?: string;
}

/** The status history of a run, one row per change. */
@Entity({ tableName: 'run_status_changes' })
@Index({ properties: ['run', 'at'] })
export class RunStatusChange {
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @ManyToOne(() => Run, { deleteRule: 'cascade' })
  run!: Rel<Run>;

  @Property({ type: 'string', length: 16 })
  status!: RunStatus;

  @Property({ type: 'string', length: 16, nullable: true })
  stage?: string;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'datetime' })
  at!: Date;

  @Property({ type: 'text', nullable: true })
  message?: string;
}
