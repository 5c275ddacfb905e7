import { Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import type { WorkerPresence } from '@lrnas/schema';
import { requireViewer } from '../auth/access.js';
import { GATEWAY_VERSION } from '../version.js';
import type { GatewayContext } from '../graphql/context.js';

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

@ObjectType({ description: 'The WebGPU adapter a worker computes on, as Dawn names it.' })
export class GpuAdapter {
  @Field(() => String, { description: 'Vendor: nvidia, amd, intel, mesa...' })
  vendor!: string;

  @Field(() => String, { description: 'Architecture: hopper, rdna-3, software... (may be empty).' })
  architecture!: string;

  @Field(() => String, { description: "The driver's name of the device." })
  description!: string;

  @Field(() => Boolean, { description: 'Whether it is a CPU implementation (lavapipe, SwiftShader), not a GPU.' })
  software!: boolean;
}

@ObjectType({ description: 'A worker that announced itself recently and is taking jobs.' })
export class Worker {
  @Field(() => String, { description: 'Stable worker id.' })
  id!: string;

  @Field(() => String, { description: 'Host name of its machine.' })
  host!: string;

  @Field(() => Int, { description: 'Process id on that host.' })
  pid!: number;

  @Field(() => String, { description: 'Compute backend: node-gpu, webgpu, node, wasm or cpu.' })
  backend!: string;

  @Field(() => String, { description: 'Device the backend computes on.' })
  device!: string;

  @Field(() => GpuAdapter, { nullable: true, description: 'The WebGPU adapter, on the webgpu backend.' })
  adapter?: GpuAdapter;

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

@ObjectType({
  description:
    'Whether the platform is up. Without an API key only `status` is answered: the details name servers, hosts and processes.',
})
export class Health {
  @Field(() => String, {
    description: '"ok" while the gateway reaches its database and NATS, else "degraded". Open to every caller.',
  })
  status!: 'ok' | 'degraded';

  @Field(() => String, { description: 'Gateway version (needs an API key).' })
  version!: string;

  @Field(() => DatabaseStatus, { description: 'The database (needs an API key).' })
  database!: DatabaseStatus;

  @Field(() => NatsStatus, { description: 'The NATS connection (needs an API key).' })
  nats!: NatsStatus;

  @Field(() => [Worker], { description: 'Connected workers (needs an API key).' })
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
    ...(p.adapter && { adapter: { ...p.adapter } }),
    engineVersion: p.engineVersion,
    versions: Object.entries(p.versions).map(([name, version]) => ({ name, version })),
    concurrency: p.concurrency,
    currentJobs: p.currentJobs,
    startedAt: new Date(p.startedAt),
    seenAt: new Date(p.seenAt),
  };
}

const DETAILS = 'health details (database, NATS, workers, version)';

@Resolver(() => Health)
export class HealthResolver {
  @Query(() => Health, {
    description: 'Whether the platform is up; with an API key also gateway version, database, NATS and workers.',
  })
  async health(@Ctx() { db, nats }: GatewayContext): Promise<Health> {
    const connected = await db.isConnected();
    const state = nats.state();
    return {
      status: connected && state.connected ? 'ok' : 'degraded',
      version: GATEWAY_VERSION,
      database: { kind: db.kind as DatabaseKind, connected },
      nats: state,
      workers: nats.workers().map(toWorker),
    };
  }

  // The details are resolved per field so that an anonymous `health { status }` answers, while
  // asking for any detail without a key is refused by name.
  @FieldResolver(() => String)
  version(@Root() health: Health, @Ctx() { viewer }: GatewayContext): string {
    requireViewer(viewer, DETAILS);
    return health.version;
  }

  @FieldResolver(() => DatabaseStatus)
  database(@Root() health: Health, @Ctx() { viewer }: GatewayContext): DatabaseStatus {
    requireViewer(viewer, DETAILS);
    return health.database;
  }

  @FieldResolver(() => NatsStatus)
  nats(@Root() health: Health, @Ctx() { viewer }: GatewayContext): NatsStatus {
    requireViewer(viewer, DETAILS);
    return health.nats;
  }

  @FieldResolver(() => [Worker])
  workers(@Root() health: Health, @Ctx() { viewer }: GatewayContext): Worker[] {
    requireViewer(viewer, DETAILS);
    return health.workers;
  }
}

@Resolver()
export class WorkersResolver {
  @Query(() => [Worker], { description: 'Workers that announced themselves recently (needs an API key).' })
  workers(@Ctx() { nats, viewer }: GatewayContext): Worker[] {
    requireViewer(viewer, 'workers');
    return nats.workers().map(toWorker);
  }
}
