// End-to-end tests of `lrnas search` and `lrnas pipeline` (this file is not a command: its name has two dots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGenotype } from '@lrnas/schema';
import { countParameters } from '../../nn/cost.js';
import { minimumParameters } from '../../search/selection.js';
import { runCli } from '../cli.js';
import select from './select.js';

const BIN = fileURLToPath(new URL('../../../bin/lrnas.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-search-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const SHAPE = { channels: 4, layers: 3, classes: 10, inputChannels: 1 };
const MINIMUM = minimumParameters(SHAPE);
// Room for a few cheap ops above the empty network, so that the budget binds.
const BUDGET = MINIMUM + 3000;
const TINY = [
  '--dataset',
  'mnist',
  '--train-limit',
  '64',
  '--channels',
  '4',
  '--layers',
  '3',
  '--epochs',
  '2',
  '--warmup-epochs',
  '1',
  '--permutations',
  '1',
  '--estimate-batch-size',
  '8',
  '--batch-size',
  '16',
  '--eval-channels',
  '4',
  '--eval-layers',
  '3',
  '--budget',
  String(BUDGET),
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, NODE_OPTIONS: '', LRNAS_BACKEND: 'wasm' };

function runChild(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: REPO, env: ENV, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

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

const SEARCH_OUT = path.join(tmp, 'search');
const PIPELINE_OUT = path.join(tmp, 'pipeline');
const PIPELINE = ['pipeline', ...TINY, '--train-epochs', '1', '--eval-examples', '16', '--out', PIPELINE_OUT];

test('search: Ctrl-C writes a checkpoint and exits 130; the same command resumes and writes every file', async () => {
  const out = SEARCH_OUT;
  const args = ['search', ...TINY, '--out', out];
  // Interrupt after the first epoch's line, i.e. in the second epoch (training or estimation).
  const interrupted = await new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: ENV });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /epoch 1\/2: /.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /interrupted; saving a checkpoint/);
  assert.match(interrupted.stderr, /Run the same command again to resume/);
  assert.equal(lastJson(interrupted.stdout).status, 'cancelled');
  assert.ok(fs.existsSync(path.join(out, 'search.ckpt')));

  const resumed = await runHere(args);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from .*search\.ckpt at epoch 2/);
  assert.match(resumed.stderr, /epoch 2\/2: train loss [\d.]+, train acc [\d.]+%, valid acc [\d.]+%/);
  const summary = lastJson(resumed.stdout);
  assert.deepEqual(Object.keys(summary), ['genotype', 'params', 'alphas', 'checkpoint', 'status']);
  assert.equal(summary.status, 'completed');
  const genotype = parseGenotype(summary.genotype);
  assert.equal(summary.params, countParameters(genotype, SHAPE));
  assert.ok((summary.params as number) <= BUDGET && (summary.params as number) >= MINIMUM);
  for (const file of ['search.ckpt', 'alphas.json', 'genotype.json', 'report.json'])
    assert.ok(fs.existsSync(path.join(out, file)), file);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as {
    history: unknown[];
    status: string;
  };
  assert.equal(report.history.length, 2);
  assert.equal(report.status, 'completed');

  // alphas.json is what `lrnas select` reads; at the search's size and budget it selects the same genotype.
  let selected = '';
  const code = await select.run(
    [
      ...['--alphas', summary.alphas as string, '--budget', String(BUDGET)],
      ...['--channels', '4', '--layers', '3', '--classes', '10', '--input-channels', '1'],
    ],
    { stdout: (t) => void (selected += t), stderr: () => undefined },
  );
  assert.equal(code, 0);
  assert.deepEqual(lastJson(selected), { genotype: summary.genotype, params: summary.params });

  // Resuming a finished search changes nothing; other settings on the same folder are refused.
  const again = await runHere(args);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(lastJson(again.stdout), summary);
  const other = await runHere(['search', ...TINY, '--seed', '1', '--out', out]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /cannot resume .*seed 1 \(stored: 0\)/);
});

test('search: bad flags exit 2 with a message naming the flag', async () => {
  const out = path.join(tmp, 'bad');
  const cases: Array<[string[], RegExp]> = [
    [['--preset', 'huge'], /--preset must be one of tiny, paper, got "huge"/],
    [['--estimation-mode', 'exact'], /--estimation-mode must be one of shapley, reference, got "exact"/],
    [['--epochs', '2', '--warmup-epochs', '2'], /--warmup-epochs \(search\.warmupEpochs\): must be below epochs \(2\)/],
    [
      [
        '--channels',
        '4',
        '--layers',
        '3',
        '--eval-channels',
        '4',
        '--eval-layers',
        '3',
        '--budget',
        String(MINIMUM - 1),
      ],
      new RegExp(`--budget ${MINIMUM - 1} is below the smallest evaluation network .*minimum ${MINIMUM} parameters`),
    ],
    [['--budget', '2.5'], /--budget must be a positive whole number/],
    [['--selection-mode', 'loose'], /--selection-mode must be one of strict, reference, no-greedy/],
    [['--lr', 'fast'], /--lr must be a number/],
    [
      ['--channels', '6', '--partial-channels', '4'],
      /--partial-channels \(search\.partialChannels\): must divide channels \(6\)/,
    ],
  ];
  for (const [flags, message] of cases) {
    const r = await runHere(['search', ...flags, '--out', out]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  const missing = await runHere(['search']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--out is required/);
  assert.ok(!fs.existsSync(out), 'no output folder for rejected flags');

  const badAttacks = await runHere(['pipeline', '--attacks', 'fgsm,rays', '--out', out]);
  assert.equal(badAttacks.code, 2);
  assert.match(badAttacks.stderr, /--attacks \(attacks\): unknown attack "rays"/);
  const badMethod = await runHere(['pipeline', '--train-method', 'pgd', '--out', out]);
  assert.equal(badMethod.code, 2);
  assert.match(badMethod.stderr, /--train-method must be one of/);
});

test('pipeline: search, select, retrain and evaluate on the tiny setting; accuracies in [0, 1]', async () => {
  // The search stage picks up the finished search of the first test (same settings and data), which keeps
  // this file fast; the search itself is tested above.
  const checkpoint = path.join(SEARCH_OUT, 'search.ckpt');
  assert.ok(fs.existsSync(checkpoint), 'the search test ran first');
  const searched = JSON.parse(fs.readFileSync(path.join(SEARCH_OUT, 'genotype.json'), 'utf8')) as {
    genotype: unknown;
  };
  fs.mkdirSync(PIPELINE_OUT, { recursive: true });
  fs.copyFileSync(checkpoint, path.join(PIPELINE_OUT, 'search.ckpt'));
  const r = await runChild(PIPELINE);
  assert.equal(r.code, 0, r.stderr);
  for (const stage of ['search', 'select', 'train', 'evaluate'])
    assert.match(r.stderr, new RegExp(`stage ${stage} (started|resumed)[\\s\\S]*stage ${stage} completed`));
  assert.match(r.stderr, /train epoch 1\/1: train loss [\d.]+/);
  assert.match(r.stderr, /evaluation: clean [\d.]+%, fgsm [\d.]+%, pgd [\d.]+%/);
  const summary = lastJson(r.stdout);
  assert.deepEqual(Object.keys(summary), ['genotype', 'params', 'cleanAccuracy', 'robustAccuracy', 'report']);
  const genotype = parseGenotype(summary.genotype);
  assert.deepEqual(genotype, searched.genotype);
  assert.equal(summary.params, countParameters(genotype, SHAPE));
  assert.ok((summary.params as number) <= BUDGET);
  for (const key of ['cleanAccuracy', 'robustAccuracy'] as const) {
    const v = summary[key] as number;
    assert.ok(v >= 0 && v <= 1, `${key} ${v}`);
  }
  assert.ok((summary.robustAccuracy as number) <= (summary.cleanAccuracy as number));
  const report = JSON.parse(fs.readFileSync(summary.report as string, 'utf8')) as {
    settings: { training: { epochs: number; channels: number; layers: number } };
    evaluation: { data: { examples: number } };
    cleanAccuracy: number;
  };
  assert.deepEqual(
    [report.settings.training.epochs, report.settings.training.channels, report.settings.training.layers],
    [1, 4, 3],
  );
  assert.equal(report.evaluation.data.examples, 16);
  assert.equal(report.cleanAccuracy, summary.cleanAccuracy);

  // The same command on the finished folder resumes and reports the same figures without recomputing.
  const again = await runHere(PIPELINE);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /resuming the pipeline/);
  assert.deepEqual(lastJson(again.stdout), summary);
});
