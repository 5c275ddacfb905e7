#!/usr/bin/env node
// The zero-dependency launcher behind `npm start` and `npm test` (Node's standard library only,
// so that it runs on a fresh clone before anything is installed).
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureChromium } from './lib/chromium.mjs';
import { ensureDependencies, ensureWebBuild } from './lib/deps.mjs';
import { ensureNatsServer, startNatsServer } from './lib/nats-server.mjs';
import { portOrFree, waitForHttp } from './lib/ports.mjs';
import { ensurePostgres } from './lib/postgres.mjs';
import { Supervisor } from './lib/supervisor.mjs';
import { ensureVulkan } from './lib/vulkan.mjs';
import { findTestFiles, runTests } from './lib/test-runner.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line) => console.log(`[launcher] ${line}`);
// A closed terminal or pipe must not crash the launcher half-way through stopping its children.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

const USAGE = `Usage:
  npm start [-- options]    start NATS, the gateway, the workers and the dashboard
  npm test [-- FILTER...]   run every test (or the test files whose path contains a FILTER)

Options of start (each also as an environment variable):
  --port N            gateway and dashboard HTTP port (LRNAS_PORT; default 4000, or a free one)
  --data-dir DIR      where NATS and the SQLite file keep their data (LRNAS_DATA_DIR; default .lrnas)
  --workers N         number of workers (LRNAS_WORKERS; default 1; 0 runs none)
  --nats-url URL      use this NATS server instead of starting one (NATS_URL)
  --database-url URL  use this database, e.g. postgres://user:pass@host/db (DATABASE_URL;
                      default: SQLite file DATA_DIR/lrnas.sqlite)
  -h, --help          this text`;

async function main() {
  const [command = 'start', ...rest] = process.argv.slice(2);
  if (command === 'test') return test(rest);
  if (command === 'start') return start(rest);
  console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

function parseStartOptions(argv) {
  const { values } = parseOrExplain({
    args: argv,
    options: {
      port: { type: 'string', default: process.env.LRNAS_PORT },
      'data-dir': { type: 'string', default: process.env.LRNAS_DATA_DIR ?? '.lrnas' },
      workers: { type: 'string', default: process.env.LRNAS_WORKERS ?? '1' },
      'nats-url': { type: 'string', default: process.env.NATS_URL },
      'database-url': { type: 'string', default: process.env.DATABASE_URL },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const whole = (name, text, min, max) => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
    }
    return n;
  };
  if (values['nats-url'] !== undefined && !/^(nats|tls|wss?):\/\/./.test(values['nats-url'])) {
    throw new UsageError(`--nats-url must look like nats://host:4222, got ${JSON.stringify(values['nats-url'])}`);
  }
  return {
    help: values.help ?? false,
    port: whole('port', values.port, 1, 65535),
    dataDir: path.resolve(root, values['data-dir']),
    workers: whole('workers', values.workers, 0, 64),
    natsUrl: values['nats-url'],
    databaseUrl: values['database-url'],
  };
}

class UsageError extends Error {}

/** parseArgs, with its errors (unknown option, missing value) turned into usage errors. */
function parseOrExplain(config) {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError(error.message);
  }
}

/** Worker ids unique on this host even when several launchers share one NATS (ports differ). */
function workerId(port, index) {
  return `${os
    .hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40)}-${port}-w${index}`;
}

/** Environment for TypeScript children run through tsx (see tsconfig.runtime.json). */
function runtimeEnv() {
  return {
    TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.runtime.json'),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim(),
  };
}

async function start(argv) {
  const options = parseStartOptions(argv);
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  ensureDependencies(root, log);
  ensureWebBuild(root, log);
  // The webgpu backend, asked for, needs a Vulkan driver (lavapipe at least).
  if (process.env.LRNAS_BACKEND === 'webgpu') log(`WebGPU adapter: ${ensureVulkan(root, log)}`);

  let exitCode = 0;
  let requestStop;
  const stopRequested = new Promise((resolve) => (requestStop = resolve));
  // A crashed worker or gateway is restarted with backoff; one that keeps crashing is left down. Without
  // the gateway nothing is reachable, so that stops the platform; without a worker the API stays up.
  const supervisor = new Supervisor({
    log,
    onGiveUp: (name) => {
      if (name !== 'gateway') {
        log(`${name} stays down; the gateway and dashboard keep running (its output above says why it crashed)`);
        return;
      }
      log('the gateway keeps crashing; stopping everything');
      exitCode = 1;
      requestStop();
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => requestStop());
  const shutdown = async () => {
    log('stopping...');
    await supervisor.stopAll();
    log('stopped');
  };

  try {
    let natsUrl = options.natsUrl;
    // An external NATS takes the login of NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_NKEY_SEED, for
    // both services; the embedded one asks each service for its own role's nkey, made afresh at every start.
    let logins = { gateway: {}, worker: {} };
    if (!natsUrl) {
      const nats = await startNatsServer({ dataDir: path.join(options.dataDir, 'nats'), log, detached: true });
      supervisor.adopt('nats-server', nats);
      natsUrl = nats.url;
      const asEnv = ({ seed }) => ({ NATS_NKEY_SEED: seed, NATS_USER: '', NATS_PASSWORD: '', NATS_TOKEN: '' });
      logins = { gateway: asEnv(nats.credentials.gateway), worker: asEnv(nats.credentials.worker) };
      log(`nats-server (JetStream) on ${natsUrl}, data in ${path.join(options.dataDir, 'nats')}`);
      log(
        `NATS admin nkey (for tools such as the nats CLI: --nkey) in ${path.join(options.dataDir, 'nats', 'admin.nk')}`,
      );
    }
    const databaseUrl = options.databaseUrl ?? `sqlite:${path.join(options.dataDir, 'lrnas.sqlite')}`;
    const port = options.port ?? (await portOrFree(4000));
    const env = {
      ...process.env,
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      LRNAS_DATA_DIR: options.dataDir,
      LRNAS_PARENT_PID: String(process.pid),
      ...runtimeEnv(),
    };
    const tsx = ['--import', 'tsx'];
    const gateway = supervisor.start('gateway', process.execPath, [...tsx, 'services/gateway/src/main.ts'], {
      cwd: root,
      env: { ...env, ...logins.gateway, PORT: String(port), LRNAS_WEB_DIST: path.join(root, 'web', 'dist') },
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000, () => !gateway.exited);
    for (let i = 1; i <= options.workers; i++) {
      supervisor.start(`worker-${i}`, process.execPath, [...tsx, 'services/worker/src/main.ts'], {
        cwd: root,
        // Metrics on 9464, 9465...: a port already taken costs that worker its metrics, nothing else.
        env: { ...env, ...logins.worker, LRNAS_WORKER_ID: workerId(port, i), LRNAS_METRICS_PORT: String(9463 + i) },
      });
    }
    console.log(
      [
        '',
        'LRNAS Hub is up:',
        `  dashboard  http://localhost:${port}/`,
        `  GraphQL    http://localhost:${port}/graphql`,
        `  NATS       ${natsUrl}`,
        `  database   ${databaseUrl.replace(/\/\/[^@/]*@/, '//***@')}`,
        `  workers    ${options.workers}`,
        'An API key for a new team: npm run create-team -w @lrnas/gateway -- --name "my lab"',
        '(the README\'s "A first run" goes on from there). Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    log(`failed to start: ${error.message}`);
    await shutdown();
    return 1;
  }
  await stopRequested;
  await shutdown();
  return exitCode;
}

async function test(filters) {
  if (filters.includes('--help') || filters.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  ensureDependencies(root, log);
  // Integration tests start their own nats-server and PostgreSQL from these binaries.
  ensureNatsServer(log);
  ensurePostgres(log);
  const files = findTestFiles(root, filters);
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(' ')}`);
    return 1;
  }
  // The dashboard's browser test drives Debian's Chromium.
  if (files.some((f) => f.startsWith(path.join('web', 'test')))) ensureChromium(log);
  // The engine's webgpu tests run on a Vulkan driver: Mesa's lavapipe where there is no GPU.
  if (files.some((f) => /webgpu/.test(path.basename(f)))) log(`WebGPU adapter: ${ensureVulkan(root, log)}`);
  log(`running ${files.length} test files`);
  // Two test files run at once on the machine's cores, each with workers of its own: their jobs compute on one
  // engine thread each unless told otherwise, so the cores are not oversubscribed (the engine's own tests of its
  // threads set their thread counts).
  const env = { LRNAS_THREADS: '1', ...process.env, ...runtimeEnv() };
  return runTests(root, files, { env, concurrency: Math.max(1, Math.min(2, os.availableParallelism())) });
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof UsageError ? `${error.message}\n\n${USAGE}` : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
