// For tests: one private nats-server (and a client connection) per test file, started before its
// tests and removed with its data after them. The server asks for credentials, as every deployment
// does: the test's own client connects as `admin`, services get their role's login (natsLogin).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startNatsServer } from './nats-server.mjs';

/**
 * Registers before/after hooks; the returned object's fields are set once `before` ran. With
 * `topology`, the contract's streams and buckets are created first (as the gateway would), for
 * tests that run workers without a gateway: a worker's login may not create them.
 */
export function useNatsServer(prefix = 'lrnas-test-', { topology = false } = {}) {
  const state = { dataDir: fs.mkdtempSync(path.join(os.tmpdir(), prefix)), server: undefined, nc: undefined };
  before(async () => {
    // Imported here so that files which only need the server do not load the client eagerly.
    const { connect } = await import('nats');
    const { loginOptions } = await import('@lrnas/schema/nats');
    state.server = await startNatsServer({ dataDir: path.join(state.dataDir, 'nats') });
    state.nc = await connect({ servers: state.server.url, ...loginOptions(natsLogin(state.server, 'admin')) });
    if (topology) {
      const { ensureTopology, openBuckets } = await import('@lrnas/schema/nats');
      await ensureTopology(await state.nc.jetstreamManager());
      await openBuckets(state.nc.jetstream());
    }
  });
  after(async () => {
    await state.nc?.close();
    await state.server?.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  });
  return state;
}

/** A role's login on `server` (gateway, worker or admin), as the services' `natsLogin` setting. */
export function natsLogin(server, role) {
  return { nkeySeed: server.credentials[role].seed };
}

/** A role's login as the worker's command-line flags. */
export function natsLoginFlags(server, role) {
  return [`--nats-nkey-seed=${server.credentials[role].seed}`];
}

/** A role's login as the environment the gateway reads. */
export function natsLoginEnv(server, role) {
  return { NATS_NKEY_SEED: server.credentials[role].seed };
}
