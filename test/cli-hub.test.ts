// The CLI logs to a hub: `lrnas pipeline --hub URL --experiment ID` on one machine (here: a process
// with nothing but the hub's URL and key) shows up on the hub as a CLI run, with its metrics, its
// architecture and its evaluations, ranked on the leaderboard next to the hub's own runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { minimumParameters } from '@lrnas/engine';
import { Platform } from './faults/support/platform.js';

const root = path.resolve(import.meta.dirname, '..');
const BUDGET = minimumParameters({ channels: 4, layers: 3, classes: 10, inputChannels: 1 }) + 2500;
let platform: Platform;
let dir: string;
before(async () => {
  platform = await Platform.start('cli-hub');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-cli-hub-'));
});
after(async () => {
  await platform?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function lrnas(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'services', 'engine', 'bin', 'lrnas.mjs'), ...args], {
      cwd: dir,
      env: { ...process.env, NODE_OPTIONS: '', LRNAS_BACKEND: 'wasm', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('lrnas pipeline --hub: the run, its metrics, architecture and evaluations reach the hub and its leaderboard', async () => {
  const tiny = ['--dataset', 'mnist', '--train-limit', '64', '--channels', '4', '--layers', '3', '--epochs', '2'];
  const small = ['--warmup-epochs', '1', '--permutations', '1', '--estimate-batch-size', '8', '--batch-size', '16'];
  const evaluation = ['--eval-channels', '4', '--eval-layers', '3', '--budget', String(BUDGET)];
  const args = ['pipeline', ...tiny, ...small, ...evaluation, '--train-epochs', '1', '--eval-examples', '16'];
  const env = { LRNAS_API_KEY: platform.key, LRNAS_SPOOL_DIR: path.join(dir, 'spool') };

  const missing = await lrnas([...args, '--out', path.join(dir, 'x'), '--hub', platform.url], env);
  assert.equal(missing.code, 2, 'a hub without an experiment is a usage error');
  assert.match(missing.stderr, /--hub needs --experiment ID/);

  const out = path.join(dir, 'run');
  const hub = ['--hub', platform.url, '--experiment', platform.experimentId];
  const result = await lrnas([...args, '--attacks', 'fgsm,pgd:5', '--out', out, ...hub], env);
  assert.equal(result.code, 0, result.stderr);
  const runId = /logging to \S+ as run (\S+)/.exec(result.stderr)?.[1];
  assert.ok(runId, result.stderr);
  const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { params: number; robustAccuracy: number };

  const { run, metricSeries, leaderboard } = await platform.query<{
    run: {
      status: string;
      stage: string | null;
      kind: string;
      source: string;
      client: string;
      architecture: { params: number } | null;
      evaluations: { attack: string; robustAccuracy: number }[];
      artifacts: { name: string; kind: string; size: number }[];
    };
    metricSeries: { key: string; totalPoints: number }[];
    leaderboard: { run: { id: string; source: string } }[];
  }>(
    `query($id: ID!) {
      run(id: $id) { status stage kind source client architecture { params } evaluations { attack robustAccuracy } artifacts { name kind size } }
      metricSeries(runId: $id, maxPoints: 2) { key totalPoints }
      leaderboard(dataset: MNIST, threatModel: { norm: LINF, epsilon: 0.3 }) { run { id source } }
    }`,
    { id: runId },
  );
  assert.deepEqual([run.status, run.kind, run.source], ['SUCCEEDED', 'PIPELINE', 'CLI']);
  assert.equal(run.stage, 'evaluate', 'the stages went to the hub as they began');
  assert.match(run.client, /^lrnas CLI /);
  assert.equal(run.architecture?.params, summary.params, 'the selected architecture');
  assert.deepEqual(run.evaluations.map((e) => e.attack.toLowerCase()).sort(), ['fgsm', 'pgd']);
  assert.equal(Math.min(...run.evaluations.map((e) => e.robustAccuracy)), summary.robustAccuracy);
  const files = new Map(run.artifacts.map((a) => [a.name.slice(a.name.indexOf('/') + 1), a]));
  for (const [name, kind] of [
    ['search.ckpt', 'checkpoint'],
    ['train.ckpt', 'checkpoint'],
    ['genotype.json', 'genotype'],
    ['report.json', 'report'],
    ['model-model.json', 'weights'],
  ] as const) {
    assert.equal(files.get(name)?.kind, kind, `${name} among ${[...files.keys()].join(', ')}`);
  }
  assert.equal(files.get('report.json')!.size, fs.statSync(path.join(out, 'report.json')).size);
  const keys = metricSeries.map((s) => s.key);
  for (const key of ['search/loss', 'train/loss', 'search/epoch/valid_accuracy', 'train/epoch/test_accuracy']) {
    assert.ok(keys.includes(key), `${key} among ${keys.join(', ')}`);
  }
  assert.ok(
    leaderboard.some((row) => row.run.id === runId && row.run.source === 'CLI'),
    'ranked on the leaderboard as a CLI run',
  );
  assert.deepEqual(fs.readdirSync(path.join(dir, 'spool')), [], 'nothing left unsent');

  // The search alone, a training of the pipeline's genotype and an evaluation of its model log the same way.
  const searched = await lrnas(['search', ...tiny, ...small, ...evaluation, '--out', path.join(dir, 's'), ...hub], env);
  assert.equal(searched.code, 0, searched.stderr);
  const attacked = await lrnas(
    ['eval', '--model', path.join(out, 'model'), '--dataset', 'mnist', '--examples', '16', '--attacks', 'fgsm', ...hub],
    env,
  );
  assert.equal(attacked.code, 0, attacked.stderr);
  const trainFlags = ['--dataset', 'mnist', '--attack-steps', '1', '--epochs', '1', '--batch-size', '32'];
  const trainSize = ['--channels', '4', '--layers', '2', '--train-limit', '64', '--test-limit', '32'];
  const genotypeFile = path.join(dir, 'g.json');
  const selected = JSON.parse(fs.readFileSync(path.join(out, 'genotype.json'), 'utf8')) as { genotype: unknown };
  fs.writeFileSync(genotypeFile, JSON.stringify(selected.genotype));
  const trained = await lrnas(
    ['train', '--genotype', genotypeFile, ...trainFlags, ...trainSize, '--out', path.join(dir, 't'), ...hub],
    env,
  );
  assert.equal(trained.code, 0, trained.stderr);
  for (const [output, kind, evaluations] of [
    [searched, 'SEARCH', 0],
    [trained, 'TRAIN', 0],
    [attacked, 'EVALUATE', 1],
  ] as const) {
    const id = /logging to \S+ as run (\S+)/.exec(output.stderr)?.[1];
    const { run: logged } = await platform.query<{
      run: { status: string; kind: string; architecture: { params: number } | null; evaluations: unknown[] };
    }>(`query($id: ID!) { run(id: $id) { status kind architecture { params } evaluations { attack } } }`, { id });
    assert.deepEqual([logged.status, logged.kind, logged.evaluations.length], ['SUCCEEDED', kind, evaluations]);
    assert.ok(logged.architecture, `the ${kind} run's architecture`);
  }
});
