import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkCost } from '../nn/cost.js';
import { publishedGenotypes } from '../nn/test-util.js';

const BIN = fileURLToPath(new URL('../../bin/lrnas.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../nn/fixtures/genotypes.json', import.meta.url));
const GENOTYPES = publishedGenotypes();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-cli-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], command = process.execPath, prefix: string[] = [BIN]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...prefix, ...args],
      { cwd: REPO, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function file(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

function lastJson(stdout: string): unknown {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

test('arch params prints the exact DARTS_V2 count as its last line', async () => {
  const single = file('darts-v2.json', JSON.stringify(GENOTYPES.DARTS_V2));
  const r = await run(['arch', 'params', '--genotype', single]);
  assert.equal(r.code, 0, r.stderr);
  const flops = networkCost(GENOTYPES.DARTS_V2, { channels: 36, layers: 20, classes: 10, inputChannels: 3 }, 32).flops;
  assert.deepEqual(lastJson(r.stdout), { params: 3_349_342, flops });
  assert.match(r.stdout.trimEnd().split('\n').at(-1) as string, /^\{"params": 3349342, "flops": \d+\}$/);
});

test('arch params honours every size flag and picks a named genotype', async () => {
  const r = await run([
    'arch',
    'params',
    '--genotype',
    FIXTURE,
    '--name',
    'LRNAS_C100',
    '--channels',
    '8',
    '--layers',
    '5',
    '--classes',
    '100',
    '--input-channels',
    '1',
    '--image-size',
    '28',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const expected = networkCost(GENOTYPES.LRNAS_C100, { channels: 8, layers: 5, classes: 100, inputChannels: 1 }, 28);
  assert.deepEqual(lastJson(r.stdout), expected);
});

test('bad files and bad flags exit with code 2 and a message naming the problem', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--genotype', path.join(tmp, 'absent.json')], /cannot read genotype file .*absent\.json: no such file/],
    [['--genotype', tmp], /cannot read genotype file .*: it is a directory/],
    [['--genotype', file('broken.json', '{"normal": [')], /broken\.json is not valid JSON/],
    [
      [
        '--genotype',
        file(
          'bad-op.json',
          JSON.stringify({ ...GENOTYPES.DARTS_V2, normal: [['conv_9x9', 0], ...GENOTYPES.DARTS_V2.normal.slice(1)] }),
        ),
      ],
      /bad-op\.json is not a valid genotype: normal\[0\]\[0\]: unknown operation "conv_9x9"/,
    ],
    [['--genotype', FIXTURE], /holds 3 named genotypes \(DARTS_V2, LRNAS_C10, LRNAS_C100\); choose one with --name/],
    [
      ['--genotype', FIXTURE, '--name', 'NASNET'],
      /no genotype named "NASNET" \(it has: DARTS_V2, LRNAS_C10, LRNAS_C100\)/,
    ],
    [[], /--genotype is required/],
    [
      ['--genotype', FIXTURE, '--name', 'DARTS_V2', '--channels', 'abc'],
      /--channels must be an integer of at least 1, got "abc"/,
    ],
    [
      ['--genotype', FIXTURE, '--name', 'DARTS_V2', '--layers', '0'],
      /--layers must be an integer of at least 1, got "0"/,
    ],
    [['--genotype', FIXTURE, '--name', 'DARTS_V2', '--image-size', '3.5'], /--image-size must be an integer/],
    [['--genotype', FIXTURE, '--name', 'DARTS_V2', '--chanels', '8'], /Unknown option '--chanels'/],
    [['--genotype'], /--genotype.*argument missing/],
  ];
  const results = await Promise.all(cases.map(([args]) => run(['arch', 'params', ...args])));
  for (const [i, [args, message]] of cases.entries()) {
    const r = results[i] as Run;
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace for a usage error');
  }
  const unknown = await run(['arhc']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "arhc" \(commands: .*arch/);
  const unknownSub = await run(['arch', 'parms']);
  assert.equal(unknownSub.code, 2);
  assert.match(unknownSub.stderr, /unknown command "lrnas arch parms" \(commands: params\)/);
});

test('--help works at every level; a missing command prints the help with exit code 2', async () => {
  for (const [args, usage] of [
    [['--help'], /^Usage: lrnas <command>/],
    [['arch', '--help'], /^Usage: lrnas arch <command>/],
    [['arch', 'params', '--help'], /^Usage: lrnas arch params --genotype FILE \[options\]/],
    [['arch', 'params', '-h', '--channels', 'x'], /--image-size N/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, usage);
  }
  const bare = await run([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /a command is required[\s\S]*arch/);
  const group = await run(['arch']);
  assert.equal(group.code, 2);
  assert.match(group.stderr, /a subcommand of "lrnas arch" is required[\s\S]*params/);
});

test('`npx lrnas` works from the repository root', async () => {
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const r = await run(['lrnas', 'arch', 'params', '--genotype', FIXTURE, '--name', 'DARTS_V2'], npx, ['--no-install']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((lastJson(r.stdout) as { params: number }).params, 3_349_342);
});
