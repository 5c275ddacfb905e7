import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import type { MetricsAccess } from '../config.js';
import type { GatewayMetrics } from './prometheus.js';

/**
 * /metrics counts every team's runs (private ones included) and the job queue, so it is served only
 * where the operator says: on a listener of its own (LRNAS_METRICS_PORT) or on the API port to a
 * caller presenting LRNAS_METRICS_TOKEN. Everyone else gets 404, as if there were no such page.
 */
export function metricsOnApiPort(metrics: GatewayMetrics, access: MetricsAccess): RequestHandler {
  const expected = access.token ? digest(access.token) : undefined;
  return (req, res) => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    // Hashes of equal length compared in constant time: the token's length and prefix stay secret.
    if (expected && presented !== undefined && timingSafeEqual(digest(presented), expected)) {
      serve(metrics, res);
      return;
    }
    res.status(404).type('text/plain').send('not found\n');
  };
}

/** Starts the listener that serves only /metrics; resolves with its URL once listening. */
export async function startMetricsServer(
  metrics: GatewayMetrics,
  port: number,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      serve(metrics, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(metrics: GatewayMetrics, res: http.ServerResponse): void {
  const { registry } = metrics;
  registry.metrics().then(
    (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
    (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
  );
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
