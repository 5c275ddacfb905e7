// The stack the browser tests drive, started once per test file: a fresh production build of the dashboard, the
// gateway on SQLite serving it, one worker process, and Debian's Chromium driven by playwright-core.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startGateway, type GatewayHandle } from '@lrnas/gateway';
import { ensureChromium } from '@lrnas/local/chromium';
import { natsLogin, natsLoginFlags, type NatsTestState } from '@lrnas/local/test-nats';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BrowserStack {
  /** The gateway serving now (a new one after `startGatewayOn`). */
  readonly gateway: GatewayHandle;
  readonly browser: Browser;
  /** The last 20,000 characters the worker printed. */
  readonly workerLog: string;
  /** Starts the gateway (again) on a port; 0 for a free one. */
  startGatewayOn(port: number): Promise<void>;
  /** The API's answer, with the test's key; an answer without data fails the test. */
  api<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

/**
 * Starts the stack before the tests of the `describe` it is called in and stops it after them (the file's
 * nats-server, from `useNatsServer` at its root, must be up first: root-level hooks of a file do not wait for each
 * other). The gateway's bootstrap key is `key`, of the team `team`; the worker is `workerId`; screenshots go to
 * `shots`.
 */
export function useBrowserStack(options: {
  nats: NatsTestState;
  key: string;
  team: string;
  workerId: string;
  shots: string;
}): BrowserStack {
  const { nats, key } = options;
  let gateway: GatewayHandle | undefined;
  let worker: ChildProcess | undefined;
  let workerLog = '';
  let browser: Browser | undefined;
  let dist = '';

  const startGatewayOn = async (port: number): Promise<void> => {
    gateway = await startGateway(
      {
        port,
        host: '127.0.0.1',
        natsUrl: nats.server.url,
        natsLogin: natsLogin(nats.server, 'gateway'),
        database: { kind: 'sqlite', file: path.join(nats.dataDir, 'gateway.sqlite') },
        webDist: dist,
        api: { bootstrapKey: key, bootstrapTeam: options.team },
      },
      () => {},
    );
    await gateway.nats.ready;
  };

  before(async () => {
    // A production build of the current sources, into the test's own folder (web/dist is left alone).
    dist = path.join(nats.dataDir, 'dist');
    const build = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--outDir', dist],
      { cwd: path.join(root, 'web'), encoding: 'utf8' },
    );
    assert.equal(build.status, 0, `vite build failed:\n${build.stdout}\n${build.stderr}`);
    await startGatewayOn(0);

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(root, 'services', 'worker', 'src', 'main.ts'),
        ...['--nats-url', nats.server.url, ...natsLoginFlags(nats.server, 'worker')],
        ...['--data-dir', nats.dataDir, '--id', options.workerId],
      ],
      {
        cwd: root,
        env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.runtime.json') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker = child;
    const keep = (chunk: Buffer) => (workerLog = (workerLog + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    // The worker is the tests' precondition, not their subject: on a loaded machine its start (compiling the
    // engine, the backend, waiting for the gateway's streams) can take a minute, so wait for its presence record
    // here instead of racing it against the page's waits, and say why it did not come.
    const deadline = Date.now() + 240_000;
    while (!gateway!.nats.workers().some((w) => w.workerId === options.workerId)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        assert.fail(`the worker did not announce itself (exit ${child.exitCode}); its log:\n${workerLog.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    browser = await chromium.launch({
      executablePath: ensureChromium(),
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    fs.mkdirSync(options.shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    const child = worker;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await gateway?.stop();
  });

  return {
    get gateway() {
      return gateway!;
    },
    get browser() {
      return browser!;
    },
    get workerLog() {
      return workerLog;
    },
    startGatewayOn,
    async api<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(`${gateway!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      assert.ok(body.data, JSON.stringify(body.errors));
      return body.data;
    },
  };
}
