import type { EntityManager } from '@mikro-orm/core';
import type { Viewer } from '../auth/authenticate.js';
import type { ApiSettings } from '../config.js';
import type { Database } from '../persistence/database.js';
import type { IngestProgress } from '../ingest/ingest-progress.js';
import type { LiveUpdates } from '../live/updates.js';
import type { NatsLink } from '../nats-link.js';

/** What every resolver may use; built once per request. */
export interface GatewayContext {
  db: Database;
  nats: NatsLink;
  /** This request's own entity manager fork (architecture.md: one fork per request). */
  em: EntityManager;
  /** The team of the API key presented, if any. */
  viewer?: Viewer | undefined;
  api: ApiSettings;
  /** Live updates to and from the other gateway replicas (subscriptions). */
  live: LiveUpdates;
  /** How far the replicas have stored the event stream (a subscription's closing read waits on it). */
  ingest: IngestProgress;
}
