/** @lrnas/gateway: the GraphQL gateway. */
export { parseGatewayConfig, parseDatabaseUrl, type GatewayConfig, type DatabaseTarget } from './config.js';
export { startGateway, type GatewayHandle } from './gateway.js';
export { buildGatewaySchema } from './graphql/schema.js';
export { GATEWAY_VERSION } from './version.js';
