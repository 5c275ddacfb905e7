// End-to-end tests of `lrnas select` (this file is not a command: its name has two dots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseGenotype } from '@lrnas/schema';
import { countParameters } from '../../nn/cost.js';
import { DEFAULT_NETWORK_SHAPE } from '../../nn/plan.js';
import { Rng } from '../../random.js';
import { minimumParameters, parseDarts, selectGreedy } from '../../search/selection.js';
import { runCli } from '../cli.js';
import { parseBudget } from './select.js';

const BIN = fileURLToPath(new URL('../../../bin/lrnas.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-select-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const rng = new Rng(42);
const matrix = (): number[][] => Array.from({ length: 14 }, () => Array.from({ length: 8 }, () => rng.nextFloat()));
const ALPHAS = { normal: matrix(), reduce: matrix() };
const FILE = path.join(tmp, 'alphas.json');
fs.writeFileSync(FILE, JSON.stringify(ALPHAS));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
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

test('select prints a summary, then the genotype and its parameter count as the last line of JSON', async () => {
  const strict = await runHere(['select', '--alphas', FILE, '--budget', '2000000']);
  assert.equal(strict.code, 0, strict.stderr);
  const out = lastJson(strict.stdout);
  assert.deepEqual(Object.keys(out), ['genotype', 'params']);
  const genotype = parseGenotype(out.genotype);
  const expected = selectGreedy(ALPHAS, { budget: 2_000_000, shape: DEFAULT_NETWORK_SHAPE });
  assert.deepEqual(genotype, expected.genotype);
  assert.equal(out.params, countParameters(genotype, DEFAULT_NETWORK_SHAPE));
  assert.ok((out.params as number) <= 2_000_000);
  assert.match(
    strict.stdout,
    /^greedy selection \(strict mode\), budget 2,000,000 parameters at C=36, L=20, 10 classes\n/,
  );
  assert.match(strict.stdout, /candidates: \d+ placed, \d+ over budget, \d+ for a full node\n/);
  assert.match(strict.stdout, /\n {2}normal: \(\w+, \d\)( \(\w+, \d\)){7}\n/);

  // The same budget written as 2.0M; reference mode; a smaller network.
  const small = { channels: 8, layers: 5, classes: 100, inputChannels: 1 };
  const budget = minimumParameters(small) + 20_000;
  const reference = await runHere([
    'select',
    '--alphas',
    FILE,
    '--budget',
    String(budget),
    '--mode',
    'reference',
    '--channels',
    '8',
    '--layers',
    '5',
    '--classes',
    '100',
    '--input-channels',
    '1',
  ]);
  assert.equal(reference.code, 0, reference.stderr);
  const refOut = lastJson(reference.stdout);
  const refExpected = selectGreedy(ALPHAS, { budget, shape: small, mode: 'reference' });
  assert.deepEqual(refOut, { genotype: refExpected.genotype, params: refExpected.params });
  assert.match(reference.stdout, /greedy selection \(reference mode\)/);
  assert.deepEqual(lastJson((await runHere(['select', '--alphas', FILE, '--budget', '2.0M'])).stdout), out);

  // DARTS parsing needs no budget.
  const darts = await runHere(['select', '--alphas', FILE, '--no-greedy']);
  assert.equal(darts.code, 0, darts.stderr);
  const dartsGenotype = parseDarts(ALPHAS);
  assert.deepEqual(lastJson(darts.stdout), {
    genotype: dartsGenotype,
    params: countParameters(dartsGenotype, DEFAULT_NETWORK_SHAPE),
  });
  assert.match(darts.stdout, /^DARTS parsing \(no greedy\)/);
});

test('select through the lrnas launcher: the last stdout line is the JSON result', async () => {
  const result = await new Promise<Run>((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'select', '--alphas', FILE, '--budget', '2500000'],
      { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
  assert.equal(result.code, 0, result.stderr);
  const out = lastJson(result.stdout);
  assert.equal(out.params, selectGreedy(ALPHAS, { budget: 2_500_000, shape: DEFAULT_NETWORK_SHAPE }).params);
});

test('select in reference mode takes a budget below the smallest network and reports the overshoot', async () => {
  const minimum = minimumParameters(DEFAULT_NETWORK_SHAPE);
  const run = await runHere(['select', '--alphas', FILE, '--budget', '1000', '--mode', 'reference']);
  assert.equal(run.code, 0, run.stderr);
  const out = lastJson(run.stdout);
  const expected = selectGreedy(ALPHAS, { budget: 1000, shape: DEFAULT_NETWORK_SHAPE, mode: 'reference' });
  assert.deepEqual(parseGenotype(out.genotype), expected.genotype);
  assert.ok((out.params as number) >= minimum);
  assert.match(
    run.stdout,
    new RegExp(`\\(over the budget by ${((out.params as number) - 1000).toLocaleString('en-US')}\\)`),
  );
});

test('select rejects bad input with exit code 2 and a one-line message', async () => {
  const notJson = path.join(tmp, 'not.json');
  fs.writeFileSync(notJson, 'normal: 1');
  const badValue = path.join(tmp, 'bad-value.json');
  const bad = structuredClone(ALPHAS) as { normal: unknown[][]; reduce: unknown[][] };
  (bad.reduce[3] as unknown[])[7] = 'x';
  fs.writeFileSync(badValue, JSON.stringify(bad));
  const minimum = minimumParameters(DEFAULT_NETWORK_SHAPE);
  const args = (...extra: string[]): string[] => ['select', '--alphas', FILE, ...extra];
  const cases: Array<[string[], RegExp]> = [
    [['select', '--budget', '2000000'], /--alphas is required/],
    [args(), /--budget is required \(or pass --no-greedy\)/],
    [
      ['select', '--alphas', path.join(tmp, 'nope.json'), '--budget', '2M'],
      /alphas file .*nope\.json: cannot read it: no such file/,
    ],
    [['select', '--alphas', notJson, '--budget', '2M'], /alphas file .*not\.json: not valid JSON/],
    [
      ['select', '--alphas', badValue, '--budget', '2M'],
      /alphas file .*bad-value\.json: reduce\[3\]\[7\]: expected a finite number, got "x"/,
    ],
    [args('--budget', '2M', '--mode', 'loose'), /--mode must be one of strict, reference, got "loose"/],
    [
      args('--budget', '0'),
      /--budget must be a positive whole number of parameters \(e\.g\. 2000000 or 2\.0M\), got "0"/,
    ],
    [args('--budget', 'lots'), /--budget must be a positive whole number .*got "lots"/],
    [args('--budget', '1.5'), /--budget must be a positive whole number .*got "1\.5"/],
    [args('--budget=-3'), /--budget must be a positive whole number .*got "-3"/],
    [
      args('--budget', String(minimum - 1)),
      new RegExp(`--budget ${minimum - 1} is below the smallest network .*minimum ${minimum} parameters`),
    ],
    [args('--budget', '2M', '--channels', '0'), /--channels must be an integer of at least 1, got "0"/],
    [args('--budget', '2M', '--frobnicate'), /frobnicate/],
  ];
  for (const [argv, message] of cases) {
    const r = await runHere(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(' '));
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
  const help = await runHere(['select', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: lrnas select --alphas FILE \[options\]/);
});

test('parseBudget reads whole numbers and k/M suffixes exactly', () => {
  assert.equal(parseBudget('2000000'), 2_000_000);
  assert.equal(parseBudget('2.0M'), 2_000_000);
  assert.equal(parseBudget('2.3M'), 2_300_000);
  assert.equal(parseBudget('1.25m'), 1_250_000);
  assert.equal(parseBudget('500k'), 500_000);
  for (const raw of ['', '2e6', '1.5', '0.0000001M', '2,000,000', 'M'])
    assert.throws(() => parseBudget(raw), /--budget must be a positive whole number/, raw);
});
