// Starts and stops a local nats-server with JetStream, for `npm start` and for tests.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newUserNkey } from './nkeys.mjs';
import { freePort, waitForHttp } from './ports.mjs';
import { ensureBinary } from './system.mjs';

const GUARD = fileURLToPath(new URL('./guard.mjs', import.meta.url));
const ROLES = fileURLToPath(new URL('../../../schema/nats/roles.json', import.meta.url));

/**
 * Fresh logins, made at each start so that no deployment runs with a secret known from git: an nkey
 * per role of schema/nats/roles.json (the server is told only the public key, and a client proves it
 * holds the seed by signing the server's challenge, so no secret crosses the wire or sits in the
 * server's configuration), and a user and password for cluster routes, which nkeys cannot log in.
 */
export function newNatsCredentials() {
  const { roles } = JSON.parse(fs.readFileSync(ROLES, 'utf8'));
  const credentials = {};
  for (const role of Object.keys(roles)) credentials[role] = newUserNkey();
  // Letters and digits only, starting with a letter: it goes into route URLs as user:password@.
  credentials.route = { user: 'lrnas-route', password: `p${crypto.randomBytes(24).toString('hex')}` };
  return credentials;
}

/** nats-server's authorization block: one nkey user per role with that role's permissions. */
function authorizationBlock(credentials) {
  const { roles } = JSON.parse(fs.readFileSync(ROLES, 'utf8'));
  const users = Object.entries(roles).map(([role, { publish, subscribe }]) => ({
    nkey: credentials[role].publicKey,
    permissions: { publish, subscribe },
  }));
  // JSON is valid nats-server configuration syntax.
  return `authorization { users = ${JSON.stringify(users, null, 2)} }\n`;
}

function writePrivate(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

/** Path of nats-server, installed from Debian's package when missing and allowed. */
export function ensureNatsServer(log) {
  return ensureBinary({ binary: 'nats-server', aptPackage: 'nats-server', log });
}

/**
 * Starts nats-server with JetStream storing under `dataDir`, on free ports unless given, refusing
 * clients without credentials: `credentials` (from newNatsCredentials; made here when not given) hold
 * an nkey per role, and the handle returns them; the admin's seed is also written to `admin.nk` in
 * `dataDir`, for tools such as the nats CLI (`--nkey`). With `cluster` it joins a JetStream
 * cluster: `name` is this server's name, `port` its route port and `routes` the route URLs of all
 * members (its own included is harmless); routes authenticate with the `route` credentials, so the
 * members must share one set. Resolves once its health endpoint answers; `stop()` ends it gracefully.
 */
export async function startNatsServer({
  dataDir,
  port,
  monitorPort,
  log = () => {},
  output = 'ignore',
  detached = false,
  cluster,
  credentials = newNatsCredentials(),
} = {}) {
  const binary = ensureNatsServer(log);
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const clientPort = port ?? (await freePort());
  const httpPort = monitorPort ?? (await freePort());
  let config = authorizationBlock(credentials);
  if (cluster) {
    const { user, password } = credentials.route;
    const routes = cluster.routes.map((url) => url.replace('://', `://${user}:${password}@`));
    config += `server_name: ${JSON.stringify(cluster.name)}\n`;
    config += `cluster ${JSON.stringify({
      name: cluster.clusterName ?? 'lrnas',
      listen: `127.0.0.1:${cluster.port}`,
      authorization: { user, password },
      routes,
    })}\n`;
  }
  // Holds the route password: readable by this user only, as is the admin's seed.
  const configFile = path.join(dir, 'nats-server.conf');
  writePrivate(configFile, config);
  writePrivate(path.join(dir, 'admin.nk'), `${credentials.admin.seed}\n`);
  const args = [
    '-c',
    configFile,
    '-js',
    '-sd',
    dir,
    '-a',
    '127.0.0.1',
    '-p',
    String(clientPort),
    '-m',
    String(httpPort),
  ];
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
    credentials,
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
