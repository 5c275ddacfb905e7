import type { NatsServerHandle } from '@lrnas/local/nats-server';
import { natsLogin } from '@lrnas/local/test-nats';
import type { DatabaseTarget, GatewayConfig } from '../../src/config.js';
import { startGateway, type GatewayHandle } from '../../src/gateway.js';

/**
 * A gateway on a free port of 127.0.0.1, logged in to the test's nats-server as `gateway`, with
 * `settings` on top; resolves once it has reached NATS (a mutation before that is UNAVAILABLE).
 */
export async function startTestGateway(
  server: NatsServerHandle,
  database: DatabaseTarget,
  settings: Partial<GatewayConfig> = {},
  log: (line: string) => void = () => {},
): Promise<GatewayHandle> {
  const gateway = await startGateway(
    { port: 0, host: '127.0.0.1', natsUrl: server.url, natsLogin: natsLogin(server, 'gateway'), database, ...settings },
    log,
  );
  await gateway.nats.ready;
  return gateway;
}
