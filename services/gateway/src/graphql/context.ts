import type { Database } from '../database.js';
import type { NatsLink } from '../nats-link.js';

/** What every resolver may use; built once per request. */
export interface GatewayContext {
  db: Database;
  nats: NatsLink;
}
