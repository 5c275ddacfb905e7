import { Ctx, Field, Int, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import type { WorkerPresence } from '@lrnas/schema';
import { GATEWAY_VERSION } from '../version.js';
import type { GatewayContext } from './context.js';

export enum DatabaseKind {
  SQLITE = 'sqlite',
  POSTGRESQL = 'postgresql',
}
registerEnumType(DatabaseKind, { name: 'DatabaseKind', description: 'Database engines the gateway can own.' });

@ObjectType({ description: 'The database the gateway stores experiments, runs and results in.' })
export class DatabaseStatus {
  @Field(() => DatabaseKind, { description: 'Which engine: SQLite file (the default) or PostgreSQL.' })
  kind!: DatabaseKind;

  @Field(() => Boolean, { description: 'Whether the gateway can reach it right now.' })
  connected!: boolean;
}

@ObjectType({ description: 'The gateway connection to NATS, the only channel to the workers.' })
export class NatsStatus {
  @Field(() => Boolean, { description: 'Whether the connection is up right now.' })
  connected!: boolean;

  @Field(() => Boolean, { description: 'Whether JetStream answered and the contract streams exist.' })
  jetStream!: boolean;

  @Field(() => String, { nullable: true, description: 'Server currently connected to, host:port.' })
  server?: string;

  @Field(() => String, { nullable: true, description: 'Why the last connection attempt failed.' })
  error?: string;
}

@ObjectType({ description: 'A version of one component a worker runs, e.g. node or tfjs-core.' })
export class ComponentVersion {
  @Field(() => String, { description: 'Component name.' })
  name!: string;

  @Field(() => String, { description: 'Its version.' })
  version!: string;
}

@ObjectType({ description: 'A worker that announced itself recently and is taking jobs.' })
export class Worker {
  @Field(() => String, { description: 'Stable worker id.' })
  id!: string;

  @Field(() => String, { description: 'Host name of its machine.' })
  host!: string;

  @Field(() => Int, { description: 'Process id on that host.' })
  pid!: number;

  @Field(() => String, { description: 'Compute backend: node-gpu, node, wasm or cpu.' })
  backend!: string;

  @Field(() => String, { description: 'Device the backend computes on.' })
  device!: string;

  @Field(() => String, { description: 'Engine version, as recorded with its results.' })
  engineVersion!: string;

  @Field(() => [ComponentVersion], { description: 'Versions of node and the TF.js packages.' })
  versions!: ComponentVersion[];

  @Field(() => Int, { description: 'Jobs it runs at a time.' })
  concurrency!: number;

  @Field(() => [String], { description: 'Run ids it is working on.' })
  currentJobs!: string[];

  @Field(() => Date, { description: 'When the worker started.' })
  startedAt!: Date;

  @Field(() => Date, { description: 'When it last refreshed its presence.' })
  seenAt!: Date;
}

@ObjectType({ description: 'Whether the platform is up: gateway, database, NATS and workers.' })
export class Health {
  @Field(() => String, { description: 'Gateway version.' })
  version!: string;

  @Field(() => DatabaseStatus, { description: 'The database.' })
  database!: DatabaseStatus;

  @Field(() => NatsStatus, { description: 'The NATS connection.' })
  nats!: NatsStatus;

  @Field(() => [Worker], { description: 'Connected workers.' })
  workers!: Worker[];
}

/** Maps a presence record of the contract to its GraphQL shape. */
export function toWorker(p: WorkerPresence): Worker {
  return {
    id: p.workerId,
    host: p.host,
    pid: p.pid,
    backend: p.backend,
    device: p.device,
    engineVersion: p.engineVersion,
    versions: Object.entries(p.versions).map(([name, version]) => ({ name, version })),
    concurrency: p.concurrency,
    currentJobs: p.currentJobs,
    startedAt: new Date(p.startedAt),
    seenAt: new Date(p.seenAt),
  };
}

@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: 'Gateway version, database kind, NATS state and connected workers.' })
  async health(@Ctx() { db, nats }: GatewayContext): Promise<Health> {
    const connected = await db.isConnected();
    const workers = nats.workers();
    return {
      version: GATEWAY_VERSION,
      database: { kind: db.kind as DatabaseKind, connected },
      nats: nats.state(),
      workers: workers.map(toWorker),
    };
  }

  @Query(() => [Worker], { description: 'Workers that announced themselves recently.' })
  workers(@Ctx() { nats }: GatewayContext): Worker[] {
    return nats.workers().map(toWorker);
  }
}
