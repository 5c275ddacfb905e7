// A private PostgreSQL server for tests: its own cluster in a temporary directory, on a free port,
// started with Debian's binaries. As root it runs as the `postgres` user (PostgreSQL refuses root).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.mjs';
import { ensureBinary, which } from './system.mjs';

/** Directories where Debian and others keep the server binaries (not on PATH on Debian). */
function serverBinDirs() {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => path.join(base, v, 'bin'));
}

/** Path of initdb, installing Debian's postgresql package when missing and allowed. */
export function ensurePostgres(log) {
  return ensureBinary({ binary: 'initdb', aptPackage: 'postgresql', extraDirs: serverBinDirs(), log });
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Spawn options that run a server binary as `postgres` when we are root, else as ourselves. */
function serverUser() {
  if (!isRoot()) return {};
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  return { uid, gid };
}

/**
 * Starts a throw-away PostgreSQL cluster in a new temporary directory (removed by `stop`) and
 * resolves once it accepts connections. `url` connects as the superuser `lrnas` to database
 * `lrnas` over TCP on 127.0.0.1.
 */
export async function startPostgres({ log = () => {} } = {}) {
  const initdb = ensurePostgres(log);
  const bin = path.dirname(initdb);
  const postgres = which('postgres', [bin]) ?? path.join(bin, 'postgres');
  // Its own directory under the system temp dir: the server user must be able to reach it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-pg-'));
  const user = serverUser();
  if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid);
  const cluster = path.join(dir, 'cluster');
  const init = spawnSync(initdb, ['-D', cluster, '-U', 'lrnas', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
    encoding: 'utf8',
    ...user,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);

  const port = await freePort();
  const args = ['-D', cluster, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'];
  const pgIsReady = which('pg_isready', [bin]);
  let server = await launchServer(postgres, args, pgIsReady, port, user);
  const createdb = spawnSync(
    which('createdb', [bin]),
    ['-h', '127.0.0.1', '-p', String(port), '-U', 'lrnas', 'lrnas'],
    {
      encoding: 'utf8',
    },
  );
  if (createdb.status !== 0) throw new Error(`createdb failed: ${createdb.stderr}`);
  return {
    url: `postgres://lrnas@127.0.0.1:${port}/lrnas`,
    port,
    /** Fast shutdown of the server, keeping its data, as an outage of the database would look. */
    async halt(graceMs = 10_000) {
      await server.stop(graceMs);
    },
    /** Starts the halted server again on the same port and data; resolves once it accepts connections. */
    async resume() {
      if (!server.exited) return;
      server = await launchServer(postgres, args, pgIsReady, port, user);
    },
    /** Fast shutdown (SIGINT), then SIGKILL after `graceMs`; removes the cluster. */
    async stop(graceMs = 10_000) {
      await server.stop(graceMs);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts `postgres args` and resolves once pg_isready says it accepts connections. */
async function launchServer(postgres, args, pgIsReady, port, user) {
  const child = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'], ...user });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const handle = { exited: false };
  const exit = new Promise((resolve) => child.once('exit', () => ((handle.exited = true), resolve())));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (handle.exited) throw new Error(`postgres exited during start: ${stderr}`);
    const ready = spawnSync(pgIsReady, ['-h', '127.0.0.1', '-p', String(port), '-U', 'lrnas', '-d', 'postgres']);
    if (ready.status === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`postgres did not accept connections within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  handle.stop = async (graceMs) => {
    if (handle.exited) return;
    child.kill('SIGINT'); // PostgreSQL's fast shutdown
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(timer);
  };
  return handle;
}
