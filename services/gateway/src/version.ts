/** Gateway version, reported by the health query. */
export const GATEWAY_VERSION = '0.1.0';
