// End-to-end tests of `lrnas train` and `lrnas eval` (this file is not a command: its name has two dots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_FILES } from '../../jobs/files.js';
import { TINY_GENOTYPE } from '../../train/test-data.js';
import { runCli } from '../cli.js';

const BIN = fileURLToPath(new URL('../../../bin/lrnas.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-train-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const GENOTYPE = path.join(tmp, 'tiny.json');
fs.writeFileSync(GENOTYPE, JSON.stringify(TINY_GENOTYPE));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '', LRNAS_BACKEND: 'wasm' }, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI in this process (for usage errors, which stop before any computation). */
async function runHere(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

const trainArgs = (out: string): string[] => [
  'train',
  '--genotype',
  GENOTYPE,
  '--dataset',
  'mnist',
  '--method',
  'madry',
  '--attack-steps',
  '1',
  '--epochs',
  '2',
  '--batch-size',
  '32',
  '--channels',
  '4',
  '--layers',
  '2',
  '--train-limit',
  '64',
  '--test-limit',
  '32',
  '--monitor-pgd',
  '8',
  '--seed',
  '1',
  '--out',
  out,
];

test('train stops, resumes to the same weights as an uninterrupted run, and eval reports on the model', async () => {
  const dirA = path.join(tmp, 'a');
  const dirB = path.join(tmp, 'b');
  const [stopped, whole] = await Promise.all([run([...trainArgs(dirA), '--max-steps', '3']), run(trainArgs(dirB))]);
  assert.equal(stopped.code, 0, stopped.stderr);
  const first = lastJson(stopped.stdout);
  assert.equal(first.status, 'stopped');
  assert.equal(first.steps, 3);
  assert.ok(fs.existsSync(path.join(dirA, JOB_FILES.trainCheckpoint)));
  assert.ok(!fs.existsSync(path.join(dirA, 'model.json')), 'no model before the run is complete');
  assert.match(
    stopped.stderr,
    /epoch 1\/2: lr 0\.1, train loss [\d.]+, train acc [\d.]+%, test acc [\d.]+%, test PGD acc/,
  );

  assert.equal(whole.code, 0, whole.stderr);
  const uninterrupted = lastJson(whole.stdout);
  assert.equal(uninterrupted.status, 'completed');
  assert.equal(uninterrupted.steps, 4);

  const refused = await run(trainArgs(dirA));
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /already holds a checkpoint; pass --resume/);
  const otherRun = await runHere([...trainArgs(dirA).map((a) => (a === '64' ? '96' : a)), '--resume']);
  assert.equal(otherRun.code, 2, otherRun.stderr);
  assert.match(otherRun.stderr, /other data/);

  const resumed = await run([...trainArgs(dirA), '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming at epoch 1, batch 1/);
  const second = lastJson(resumed.stdout);
  assert.equal(second.status, 'completed');
  assert.equal(second.steps, 4);
  for (const key of ['trainLoss', 'trainAccuracy', 'testAccuracy', 'testPgdAccuracy', 'parameters'])
    assert.equal(second[key], uninterrupted[key], key);
  assert.equal(second.model, path.join(dirA, 'model.json'));
  assert.deepEqual(fs.readFileSync(path.join(dirA, 'weights.bin')), fs.readFileSync(path.join(dirB, 'weights.bin')));

  const reportFile = path.join(tmp, 'report.json');
  const evaluated = await run([
    'eval',
    '--model',
    dirA,
    '--dataset',
    'mnist',
    '--attacks',
    'fgsm,pgd:5',
    '--examples',
    '20',
    '--batch-size',
    '10',
    '--seed',
    '2',
    '--out',
    reportFile,
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const report = lastJson(evaluated.stdout);
  assert.deepEqual(JSON.parse(fs.readFileSync(reportFile, 'utf8')), report);
  assert.equal(report.format, 'lrnas-evaluation');
  assert.deepEqual(report.threatModel, { norm: 'linf', epsilon: 0.3 });
  assert.deepEqual(report.data, { name: 'mnist', split: 'test', examples: 20 });
  assert.equal(report.seed, 2);
  assert.equal((report.backend as { name: string }).name, 'wasm');
  const attacks = report.attacks as Array<{ name: string; settings: { steps?: number; epsilon: number } }>;
  assert.deepEqual(
    attacks.map((a) => [a.name, a.settings.steps, a.settings.epsilon]),
    [
      ['fgsm', undefined, 0.3],
      ['pgd', 5, 0.3],
    ],
  );
  assert.match(evaluated.stderr, /clean: [\d.]+%/);
});

test('train and eval print their help and reject bad flags with exit code 2, naming the flag', async () => {
  for (const command of ['train', 'eval']) {
    const help = await runHere([command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^Usage: lrnas ${command} `));
  }
  const base = trainArgs(path.join(tmp, 'never'));
  const replace = (flag: string, value: string): string[] => {
    const args = [...base];
    args[args.indexOf(flag) + 1] = value;
    return args;
  };
  const cases: Array<[string[], RegExp]> = [
    [base.filter((a, i) => a !== '--out' && base[i - 1] !== '--out'), /--out is required/],
    [[...base, '--lr', 'fast'], /--lr must be a number > 0 and <= 10, got "fast"/],
    [[...base, '--lr=-1'], /--lr must be a number > 0 and <= 10, got "-1"/],
    [[...base, '--eps', '2'], /--eps must be a number > 0 and <= 1, got "2"/],
    [[...base, '--grad-clip', 'x'], /--grad-clip must be a number/],
    [[...base, '--schedule', 'linear'], /--schedule must be step or cosine/],
    [replace('--method', 'pgd'), /--method must be one of standard, madry, trades, fgsm-rs/],
    [replace('--dataset', 'imagenet'), /--dataset must be one of mnist/],
    [replace('--epochs', '0'), /--epochs must be an integer of at least 1, got "0"/],
    [replace('--batch-size', '2.5'), /--batch-size must be an integer/],
    [replace('--genotype', path.join(tmp, 'missing.json')), /cannot read genotype file .*missing\.json/],
    [[...base, '--frobnicate'], /frobnicate/],
    [['eval', '--model', tmp, '--dataset', 'mnist', '--attacks', 'pgd:x'], /--attacks: unknown attack "pgd:x"/],
    [['eval', '--model', tmp, '--dataset', 'mnist', '--eps', '0'], /--eps must be a number > 0/],
    [['eval', '--model', tmp, '--dataset', 'mnist', '--examples', '0'], /--examples must be an integer of at least 1/],
    [['eval', '--dataset', 'mnist'], /--model is required/],
    [['eval', '--model', path.join(tmp, 'none'), '--dataset', 'mnist'], /--model: .*none: no such model folder/],
  ];
  for (const [args, message] of cases) {
    const r = await runHere(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});
