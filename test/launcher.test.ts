// End to end: `npm start`'s launcher brings the platform up on an embedded default and takes it
// down again without leaving a process behind.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startNatsServer } from '@lrnas/local/nats-server';
import { freePort } from '@lrnas/local/ports';
import { startPostgres } from '@lrnas/local/postgres';
import { natsLoginEnv } from '@lrnas/local/test-nats';

const root = path.resolve(import.meta.dirname, '..');
const launcher = path.join(root, 'infra', 'local', 'launch.mjs');
const tmpDirs: string[] = [];
after(() => tmpDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-launch-'));
  tmpDirs.push(dir);
  return dir;
}

/** Processes whose command line or environment mentions `marker` (our data directory). */
function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (cmdline.includes(marker) || environ.includes(marker)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Launch {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

/** The first team's key, given to the gateway at start: health details need an API key. */
const KEY = 'launcher-test-key-0123456789abcdefghijkl';

function launch(args: string[], env: NodeJS.ProcessEnv = {}): Launch {
  const child = spawn(process.execPath, [launcher, ...args], {
    cwd: root,
    env: { ...process.env, LRNAS_BOOTSTRAP_KEY: KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on('line', (line) => output.push(line));
  }
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exit };
}

async function health(port: number): Promise<{
  database: { kind: string; connected: boolean };
  nats: { connected: boolean };
  workers: { id: string; backend: string; pid: number }[];
} | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        query: '{ health { database { kind connected } nats { connected } workers { id backend pid } } }',
      }),
    });
    return ((await response.json()) as { data: { health: never } }).data.health;
  } catch {
    return null;
  }
}

test('start brings up NATS, gateway, a worker and the dashboard; SIGINT stops them all', async () => {
  const dir = dataDir();
  const port = await freePort();
  const run = launch(['start', '--port', String(port), '--data-dir', dir, '--workers', '1']);
  try {
    await waitFor(
      () => run.output.some((l) => l.includes('LRNAS Hub is up')),
      'the launcher to report the platform up',
      180_000,
    );
    assert.ok(
      run.output.some((l) => l.includes(`dashboard  http://localhost:${port}/`)),
      run.output.join('\n'),
    );
    await waitFor(async () => ((await health(port))?.workers.length ?? 0) === 1, 'the worker to be listed', 60_000);
    const state = (await health(port))!;
    assert.deepEqual(state.database, { kind: 'SQLITE', connected: true });
    assert.equal(state.nats.connected, true);
    assert.ok(fs.existsSync(path.join(dir, 'lrnas.sqlite')), 'SQLite file under the data directory');
    assert.ok(fs.existsSync(path.join(dir, 'nats', 'jetstream')), 'JetStream data under the data directory');

    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>LRNAS Hub<\/title>/);
    assert.ok(processesMentioning(dir).length >= 3, 'nats-server, gateway and worker run');
  } finally {
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output.slice(-20).join('\n'));
  }
  assert.ok(run.output.some((l) => l.includes('[launcher] stopped')));
  assert.deepEqual(processesMentioning(dir), [], 'no process left behind');
});

/**
 * The shell block of the README's "A first run", as numbered steps: `# 1.` ... up to the next
 * numbered comment, each step's lines as written.
 */
function readmeFirstRun(): { setup: string; steps: string[] } {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split('\n## A first run\n')[1]?.split('\n## ')[0];
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the README has a shell block under "A first run"');
  const steps = block.split(/^(?=# \d+\. )/m).map((step) => step.trim());
  const [first, ...rest] = steps;
  // Step 1 makes the key; the lines after its command (the key and the gql helper) are every later step's setup.
  const [createTeam, ...setup] = first!.split('\n').filter((line) => !line.startsWith('#'));
  return { setup: setup.join('\n'), steps: [createTeam!, ...rest] };
}

/** Runs a README step in bash from the repository root, as a reader pastes it into a terminal. */
async function shell(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn('bash', ['-c', script], { cwd: root, env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `${script}\n${out}`);
  return out;
}

test("the README's first run works as written: a key, an experiment, the tiny pipeline starts and is followed", async () => {
  const dir = dataDir();
  const port = await freePort();
  const { setup, steps } = readmeFirstRun();
  assert.equal(steps.length, 4, steps.join('\n---\n'));
  const run = launch(['start', '--port', String(port), '--data-dir', dir, '--workers', '1']);
  // The reader's terminal: the platform's data directory (as `npm start` would use by default) and port.
  const terminal = { LRNAS_DATA_DIR: dir };
  const atPort = (text: string) => text.replaceAll('localhost:4000', `localhost:${port}`);
  try {
    await waitFor(() => run.output.some((l) => l.includes('LRNAS Hub is up')), 'the platform to come up', 180_000);
    assert.ok(
      run.output.some((l) => l.includes('npm run create-team -w @lrnas/gateway')),
      '`npm start` says how to get a key',
    );
    const created = await shell(steps[0]!, terminal);
    const key = /^(lrnas_\S+)$/m.exec(created)?.[1];
    assert.ok(key, `create-team printed a key: ${created}`);
    assert.match(setup, /^KEY=lrnas_\.\.\./m);
    const prelude = atPort(setup.replace(/^KEY=lrnas_\.\.\..*$/m, `KEY=${key}`));
    const step = async <T>(index: number, ids: Record<string, string> = {}): Promise<T> => {
      let script = steps[index]!;
      for (const [placeholder, id] of Object.entries(ids)) script = script.replaceAll(placeholder, id);
      const out = await shell(`${prelude}\n${script}`, terminal);
      const answer = JSON.parse(out.trim().split('\n').at(-1)!) as { data?: T; errors?: unknown };
      assert.equal(answer.errors, undefined, `${script}\n${out}`);
      return answer.data!;
    };
    const experiment = await step<{ createExperiment: { id: string } }>(1);
    const started = await step<{ startPipeline: { id: string; status: string } }>(2, {
      'exp_...': experiment.createExperiment.id,
    });
    assert.equal(started.startPipeline.status, 'QUEUED');
    const runId = started.startPipeline.id;
    type Followed = { run: { status: string; stage: string | null; progress: { phase: string } | null } };
    let followed: Followed | undefined;
    await waitFor(
      async () => {
        followed = await step<Followed>(3, { 'run_...': runId });
        return followed.run.status === 'RUNNING' && followed.run.progress !== null;
      },
      'the run to be RUNNING with progress, as step 4 shows it',
      240_000,
    );
    assert.equal(followed!.run.stage, 'search');
    // Its tiny preset searches on 1,000 MNIST images: the rest of the pipeline is the worker tests' to check.
    const cancelled = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: `mutation { cancelRun(id: "${runId}") { status } }` }),
    });
    assert.equal(cancelled.status, 200);
  } finally {
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output.slice(-20).join('\n'));
  }
  assert.deepEqual(processesMentioning(dir), [], 'no process left behind');
});

test('a worker killed with SIGKILL is restarted while the gateway keeps answering; so is the gateway', async () => {
  const dir = dataDir();
  const port = await freePort();
  const run = launch(['start', '--port', String(port), '--data-dir', dir, '--workers', '1']);
  try {
    await waitFor(() => run.output.some((l) => l.includes('LRNAS Hub is up')), 'the platform to come up', 180_000);
    await waitFor(async () => ((await health(port))?.workers.length ?? 0) === 1, 'the worker to be listed', 60_000);
    const [first] = (await health(port))!.workers;
    process.kill(first!.pid, 'SIGKILL');
    await waitFor(
      () => run.output.some((l) => /\[launcher\] worker-1 exited \(SIGKILL\) after \d+ s; restarting in 1 s/.test(l)),
      'the launcher to say it restarts the worker',
      30_000,
    );
    assert.equal((await health(port))?.nats.connected, true, 'the gateway answers while the worker is down');
    await waitFor(
      async () => ((await health(port))?.workers ?? []).some((w) => w.pid !== first!.pid),
      'a new worker process to announce itself',
      120_000,
    );
    assert.ok(run.output.some((l) => l.startsWith('[launcher] worker-1 restarted (pid ')));

    const [gateway] = processesMentioning(dir).filter((p) => p.includes('services/gateway/src/main.ts'));
    assert.ok(gateway, `the gateway process: ${processesMentioning(dir).join('\n')}`);
    process.kill(Number(gateway.split(':')[0]), 'SIGKILL');
    await waitFor(
      () => run.output.some((l) => /\[launcher\] gateway exited \(SIGKILL\) after \d+ s; restarting in 1 s/.test(l)),
      'the launcher to say it restarts the gateway',
      30_000,
    );
    await waitFor(async () => (await health(port)) !== null, 'the gateway to answer again on its port', 120_000);
  } finally {
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output.slice(-20).join('\n'));
  }
  assert.deepEqual(processesMentioning(dir), [], 'no process left behind');
});

test('a worker that keeps crashing is left down and the gateway stays up', async () => {
  const dir = dataDir();
  const port = await freePort();
  // A setting the worker refuses at start (exit 2), read only by the worker.
  const run = launch(['start', '--port', String(port), '--data-dir', dir, '--workers', '1'], {
    LRNAS_WORKER_CONCURRENCY: '0',
  });
  try {
    await waitFor(
      () =>
        run.output.some((l) =>
          /\[launcher\] worker-1 exited \(code 2\): 5 crashes within 120 s; not restarting it/.test(l),
        ),
      'the launcher to give up on the worker',
      180_000,
    );
    assert.ok(
      run.output.some((l) => /--concurrency.*must be a whole number/.test(l)),
      'the worker said why it stopped',
    );
    assert.equal(run.child.exitCode, null, 'the launcher still runs');
    assert.deepEqual((await health(port))?.database, { kind: 'SQLITE', connected: true }, 'the gateway answers');
  } finally {
    run.child.kill('SIGINT');
    assert.equal(await run.exit, 0, run.output.slice(-20).join('\n'));
  }
  assert.deepEqual(processesMentioning(dir), [], 'no process left behind');
});

test('external NATS and PostgreSQL URLs replace the embedded defaults; --workers sets the count', async () => {
  const dir = dataDir();
  const nats = await startNatsServer({ dataDir: path.join(dir, 'external-nats') });
  const pg = await startPostgres();
  const port = await freePort();
  const run = launch(
    [
      'start',
      '--port',
      String(port),
      '--data-dir',
      path.join(dir, 'platform'),
      '--workers',
      '2',
      '--nats-url',
      nats.url,
      '--database-url',
      pg.url,
    ],
    natsLoginEnv(nats, 'admin'),
  );
  try {
    await waitFor(() => run.output.some((l) => l.includes('LRNAS Hub is up')), 'the platform to come up', 180_000);
    await waitFor(async () => ((await health(port))?.workers.length ?? 0) === 2, 'two workers', 60_000);
    const state = (await health(port))!;
    assert.deepEqual(state.database, { kind: 'POSTGRESQL', connected: true });
    assert.ok(!fs.existsSync(path.join(dir, 'platform', 'nats')), 'no embedded nats-server was started');
    assert.ok(!fs.existsSync(path.join(dir, 'platform', 'lrnas.sqlite')), 'no SQLite file was created');
  } finally {
    run.child.kill('SIGTERM');
    assert.equal(await run.exit, 0, run.output.slice(-20).join('\n'));
    await nats.stop();
    await pg.stop();
  }
});

test('a launcher killed outright leaves no orphans: its children notice and exit', async () => {
  const dir = dataDir();
  const port = await freePort();
  const run = launch(['start', '--port', String(port), '--data-dir', dir, '--workers', '1']);
  await waitFor(() => run.output.some((l) => l.includes('LRNAS Hub is up')), 'the platform to come up', 180_000);
  run.child.kill('SIGKILL');
  await run.exit;
  await waitFor(() => processesMentioning(dir).length === 0, 'the children to exit', 30_000);
});

test('bad flags get a clear error and exit code 2', async () => {
  for (const [args, message] of [
    [['start', '--workers', 'many'], /--workers must be a whole number from 0 to 64, got "many"/],
    [['start', '--port', '99999'], /--port must be a whole number from 1 to 65535/],
    [['start', '--nats-url', 'localhost'], /--nats-url must look like nats:\/\/host:4222/],
    [['start', '--colour'], /Unknown option '--colour'/],
    [['deploy'], /unknown command "deploy"/],
  ] as const) {
    const run = launch([...args]);
    assert.equal(await run.exit, 2, args.join(' '));
    assert.match(run.output.join('\n'), message);
  }
});
