// A program outside this repository logs a run through @lrnas/client, installed as its README says,
// while the gateway is killed (SIGKILL) and started again twice: every one of its 100,000 points is
// stored exactly once, the run ends SUCCEEDED, and a subscriber saw its points arrive live.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Platform } from './support/platform.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const KEYS = 10;
const STEPS = 10_000;

let platform: Platform;
let outside: string;
before(async () => {
  platform = await Platform.start('client');
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-client-user-'));
});
after(async () => {
  await platform?.stop();
  fs.rmSync(outside, { recursive: true, force: true });
});

/**
 * The user's program, using only what the client's README shows. It logs in three parts and waits
 * for the test's word (a file) between them, so that both gateway outages fall inside its run.
 */
const PROGRAM = `
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { Hub } from '@lrnas/client';

const hub = new Hub({ url: process.env.HUB_URL, apiKey: process.env.HUB_KEY, batchMs: 200 });
const run = await hub.createRun({ experimentId: process.env.EXPERIMENT, runId: 'through-outages', name: 'outages' });
console.log('run ' + run.id);
assert.throws(() => run.log({ 'bad key': 1 }, 0), /metric key "bad key"/);
assert.throws(() => run.log({ loss: 1 }, -1), /step must be a whole number/);
const keys = Array.from({ length: ${KEYS} }, (_, k) => 'metric/k' + k);
const waitFor = async (file) => { while (!fs.existsSync(file)) await new Promise((r) => setTimeout(r, 50)); };
for (let step = 0; step < ${STEPS}; step++) {
  if (step === ${STEPS / 4}) await waitFor('part2');
  if (step === ${STEPS / 2}) await waitFor('part3');
  run.log(Object.fromEntries(keys.map((key, k) => [key, k * 100000 + step])), step);
  if (step % 100 === 99) await new Promise((r) => setTimeout(r, 10));
}
await run.finish();
console.log('finished with ' + run.pending + ' entries unsent');
`;

test('100,000 points logged through two gateway outages are stored exactly once; the run succeeds', async () => {
  const program = startProgram('log-run.mjs', PROGRAM, 'spool');
  const runId = await until(
    async () => /run (\S+)/.exec(program.output)?.[1],
    'the program to create its run',
    () => program.output,
  );

  // Live: a subscriber hears of its points as they are stored.
  const subscriber = createClient({
    url: platform.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${platform.key}` },
    retryAttempts: 0,
  });
  const live = subscriber.iterate<{ metricsAdded: { series: { key: string; points: { step: number }[] }[] } }>({
    query: `subscription($id: ID!) { metricsAdded(runId: $id) { series { key points { step } } } }`,
    variables: { id: runId },
  });
  // Until the subscription is in place a point reaches no one: log one the program logs too, with the
  // same value (idempotent), until the subscriber hears of it.
  const heard = live.next();
  let first: Awaited<typeof heard> | undefined;
  for (let tries = 0; !first && tries < 100; tries++) {
    await platform.query(
      `mutation($id: ID!) { logMetrics(runId: $id, points: [{ key: "metric/k0", step: 0, value: 0 }]) { stored } }`,
      { id: runId },
    );
    first = await Promise.race([heard, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 300))]);
  }
  assert.ok(first && !first.done && first.value.data?.metricsAdded.series.length, 'a subscriber saw points live');
  await subscriber.dispose();

  const stored = async () => {
    const { metricSeries } = await platform.query<{ metricSeries: { totalPoints: number }[] }>(
      `query($id: ID!) { metricSeries(runId: $id, maxPoints: 2) { totalPoints } }`,
      { id: runId },
    );
    return metricSeries.reduce((n, s) => n + s.totalPoints, 0);
  };
  let before = 0;
  for (const part of ['part2', 'part3']) {
    // Kill the gateway once it is storing points of this part, start it again after a pause.
    await until(
      async () => (await stored().catch(() => 0)) > before || undefined,
      'points to be stored',
      () => program.output,
    );
    before = await stored();
    await platform.gateway.kill('SIGKILL');
    fs.writeFileSync(path.join(userProject(), part), '');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    platform.gateway.start();
    await platform.gatewayReady();
  }
  assert.equal((await program.exited).code, 0, program.output);
  assert.match(program.output, /finished with 0 entries unsent/);
  assert.match(program.output, /unreachable.*retrying/, 'the outages were felt and retried');
  const { run, metricSeries } = await platform.query<{
    run: { status: string; source: string; client: string };
    metricSeries: { key: string; totalPoints: number; points: { step: number; value: number }[] }[];
  }>(
    `query($id: ID!) { run(id: $id) { status source client }
      metricSeries(runId: $id, maxPoints: 2) { key totalPoints points { step value } } }`,
    { id: runId },
  );
  assert.deepEqual([run.status, run.source, run.client], ['SUCCEEDED', 'CLIENT', '@lrnas/client 0.1.0']);
  assert.equal(metricSeries.length, KEYS);
  for (const series of metricSeries) {
    const k = Number(series.key.replace('metric/k', ''));
    assert.equal(series.totalPoints, STEPS, `${series.key}: each step once`);
    const ends = [series.points[0]!, series.points.at(-1)!].map((p) => [p.step, p.value]);
    assert.deepEqual(
      ends,
      [
        [0, k * 100000],
        [STEPS - 1, k * 100000 + STEPS - 1],
      ],
      series.key,
    );
  }
  assert.deepEqual(fs.readdirSync(path.join(outside, 'spool')), [], 'the spool of a run the hub has whole is gone');
});

/**
 * A project outside the repository with the client installed as its README says: built, then the
 * folder installed with npm (once for the file's tests).
 */
function userProject(): string {
  const project = path.join(outside, 'project');
  if (fs.existsSync(path.join(project, 'node_modules', '@lrnas', 'client'))) return project;
  const dist = path.join(outside, 'client-dist');
  execFileSync(process.execPath, [path.join(root, 'client', 'scripts', 'build.mjs'), dist], { stdio: 'pipe' });
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', dist], { cwd: project, stdio: 'pipe' });
  return project;
}

/**
 * Writes `source` into the user project as `file` and runs it against the platform's hub, with a
 * spool of its own; its stdout and stderr gather in `output`.
 */
function startProgram(file: string, source: string, spool: string) {
  const project = userProject();
  fs.writeFileSync(path.join(project, file), source);
  const child = spawn(process.execPath, [file], {
    cwd: project,
    env: {
      ...process.env,
      HUB_URL: platform.url,
      HUB_KEY: platform.key,
      EXPERIMENT: platform.experimentId,
      LRNAS_SPOOL_DIR: path.join(outside, spool),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = {
    child,
    output: '',
    exited: new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    ),
  };
  child.stdout.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
  return started;
}

/** Polls `check` until it gives a value; fails with `context()` after three minutes. */
async function until<T>(check: () => Promise<T | undefined>, what: string, context: () => string): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}\n${context()}\n${platform.tails()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a program stopped by SIGTERM sends what it logged before it dies', async () => {
  // Batches wait a minute: nothing would reach the hub before the signal but for the flush it triggers.
  const program = `
import { Hub } from '@lrnas/client';
const hub = new Hub({ url: process.env.HUB_URL, apiKey: process.env.HUB_KEY, batchMs: 60_000 });
const run = await hub.createRun({ experimentId: process.env.EXPERIMENT, runId: 'stopped-by-signal' });
for (let step = 0; step < 500; step++) run.log({ 'a/x': step, 'a/y': -step }, step);
console.log('logged ' + run.id);
setInterval(() => {}, 1000);
`;
  const started = startProgram('signal.mjs', program, 'spool-signal');
  const runId = await until(
    async () => /logged (\S+)/.exec(started.output)?.[1],
    'the program to log',
    () => started.output,
  );
  started.child.kill('SIGTERM');
  assert.equal(
    (await started.exited).signal,
    'SIGTERM',
    `it dies of the signal, as without the client\n${started.output}`,
  );
  const { metricSeries } = await platform.query<{ metricSeries: { key: string; totalPoints: number }[] }>(
    `query($id: ID!) { metricSeries(runId: $id, maxPoints: 2) { key totalPoints } }`,
    { id: runId },
  );
  assert.deepEqual(metricSeries.map((s) => [s.key, s.totalPoints]).sort(), [
    ['a/x', 500],
    ['a/y', 500],
  ]);
});
