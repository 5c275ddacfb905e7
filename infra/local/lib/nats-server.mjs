// Starts and stops a local nats-server with JetStream, for `npm start` and for tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForHttp } from './ports.mjs';
import { ensureBinary } from './system.mjs';

const GUARD = fileURLToPath(new URL('./guard.mjs', import.meta.url));

/** Path of nats-server, installed from Debian's package when missing and allowed. */
export function ensureNatsServer(log) {
  return ensureBinary({ binary: 'nats-server', aptPackage: 'nats-server', log });
}

/**
 * Starts nats-server with JetStream storing under `dataDir`, on free ports unless given.
 * With `cluster` it joins a JetStream cluster: `name` is this server's name, `port` its route
 * port and `routes` the route URLs of all members (its own included is harmless).
 * Resolves once its health endpoint answers; `stop()` ends it gracefully.
 */
export async function startNatsServer({
  dataDir,
  port,
  monitorPort,
  log = () => {},
  output = 'ignore',
  detached = false,
  cluster,
} = {}) {
  const binary = ensureNatsServer(log);
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const clientPort = port ?? (await freePort());
  const httpPort = monitorPort ?? (await freePort());
  const args = ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(clientPort), '-m', String(httpPort)];
  if (cluster) {
    args.push('--server_name', cluster.name, '--cluster_name', cluster.clusterName ?? 'lrnas');
    args.push('--cluster', `nats://127.0.0.1:${cluster.port}`, '--routes', cluster.routes.join(','));
  }
  // Detached (for the launcher) means: a process group of its own, so Ctrl-C does not stop NATS
  // before the workers have handed back their jobs; a guard then ends it if the launcher dies.
  const child = detached
    ? spawn(process.execPath, [GUARD, String(process.pid), binary, ...args], {
        stdio: ['ignore', output, output],
        detached,
      })
    : spawn(binary, args, { stdio: ['ignore', output, output] });
  let exited = false;
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    });
  });
  try {
    await waitForHttp(`http://127.0.0.1:${httpPort}/healthz?js-enabled-only=true`, 15_000, () => !exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`nats-server failed to start (${args.join(' ')}): ${error.message}`);
  }
  return {
    url: `nats://127.0.0.1:${clientPort}`,
    monitorUrl: `http://127.0.0.1:${httpPort}`,
    pid: child.pid,
    process: child,
    exited: exit,
    /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
    async stop(graceMs = 5000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}
