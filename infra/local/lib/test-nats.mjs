// For tests: one private nats-server (and a client connection) per test file, started before its
// tests and removed with its data after them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startNatsServer } from './nats-server.mjs';

/** Registers before/after hooks; the returned object's fields are set once `before` ran. */
export function useNatsServer(prefix = 'lrnas-test-') {
  const state = { dataDir: fs.mkdtempSync(path.join(os.tmpdir(), prefix)), server: undefined, nc: undefined };
  before(async () => {
    // Imported here so that files which only need the server do not load the client eagerly.
    const { connect } = await import('nats');
    state.server = await startNatsServer({ dataDir: path.join(state.dataDir, 'nats') });
    state.nc = await connect({ servers: state.server.url });
  });
  after(async () => {
    await state.nc?.close();
    await state.server?.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  });
  return state;
}
