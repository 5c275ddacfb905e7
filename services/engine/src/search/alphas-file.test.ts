import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContractError } from '@lrnas/schema';
import { AlphasFileError, parseEdgeMatrices, readAlphasFile } from './alphas-file.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-alphas-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** Distinct values so that a transposed or shifted copy would not compare equal. */
function matrices(): { normal: number[][]; reduce: number[][] } {
  const m = (offset: number): number[][] =>
    Array.from({ length: 14 }, (_, e) => Array.from({ length: 8 }, (_, o) => offset + e * 8 + o - 0.5));
  return { normal: m(0), reduce: m(1000) };
}

test('parseEdgeMatrices returns a copy of valid matrices', () => {
  const value = matrices();
  const parsed = parseEdgeMatrices(JSON.parse(JSON.stringify(value)));
  assert.deepEqual(parsed, value);
  const input = matrices();
  const copy = parseEdgeMatrices(input);
  (input.normal[0] as number[])[0] = 99;
  assert.equal(copy.normal[0]?.[0], -0.5, 'later changes to the input do not reach the result');
});

test('parseEdgeMatrices names the exact offending field', () => {
  const withValue = (cell: 'normal' | 'reduce', e: number, o: number, v: unknown): unknown => {
    const m = matrices() as Record<string, unknown[][]>;
    (m[cell]?.[e] as unknown[])[o] = v;
    return m;
  };
  const cases: Array<[unknown, RegExp]> = [
    [withValue('reduce', 3, 7, 'x'), /^reduce\[3\]\[7\]: expected a finite number, got "x"$/],
    [withValue('normal', 0, 0, null), /^normal\[0\]\[0\]: expected a finite number, got null$/],
    [withValue('normal', 13, 2, Number.NaN), /^normal\[13\]\[2\]: expected a finite number, got NaN$/],
    [withValue('reduce', 1, 1, Number.POSITIVE_INFINITY), /^reduce\[1\]\[1\]: expected a finite number, got Infinity$/],
    [withValue('reduce', 1, 1, [1]), /^reduce\[1\]\[1\]: expected a finite number, got an array of 1$/],
    [{ ...matrices(), normal: matrices().normal.slice(0, 13) }, /^normal: expected 14 rows .*got an array of 13$/],
    [{ ...matrices(), reduce: 'none' }, /^reduce: expected 14 rows .*got "none"$/],
    [{ normal: matrices().normal }, /^reduce: expected 14 rows .*got nothing$/],
    [
      { ...matrices(), normal: matrices().normal.map((r, e) => (e === 5 ? r.slice(1) : r)) },
      /^normal\[5\]: expected 8 numbers \(one per op\), got an array of 7$/,
    ],
    [{ ...matrices(), extra: 1 }, /^extra: unknown field \(alphas have normal, reduce\)$/],
    [[1, 2], /^expected an object with normal and reduce \(14 x 8 numbers each\), got an array of 2$/],
    [null, /got null$/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => parseEdgeMatrices(value),
      (error: unknown) => error instanceof ContractError && message.test(error.message),
      String(message),
    );
  }
  assert.throws(
    () => parseEdgeMatrices(withValue('reduce', 3, 7, 'x'), 'alphas'),
    /^ContractError: alphas\.reduce\[3\]\[7\]/,
  );
});

test('readAlphasFile reads a valid file and names the file in every error', async () => {
  const good = path.join(tmp, 'good.json');
  fs.writeFileSync(good, JSON.stringify(matrices()));
  assert.deepEqual(await readAlphasFile(good), matrices());

  const missing = path.join(tmp, 'missing.json');
  const notJson = path.join(tmp, 'bad.json');
  fs.writeFileSync(notJson, '{"normal": [');
  const badValue = path.join(tmp, 'value.json');
  const m = matrices() as Record<string, unknown[][]>;
  (m.reduce?.[3] as unknown[])[7] = 'x';
  fs.writeFileSync(badValue, JSON.stringify(m));
  const cases: Array<[string, RegExp]> = [
    [missing, /^alphas file .*missing\.json: cannot read it: no such file$/],
    [tmp, /^alphas file .*: cannot read it: it is a directory$/],
    [notJson, /^alphas file .*bad\.json: not valid JSON: /],
    [badValue, /^alphas file .*value\.json: reduce\[3\]\[7\]: expected a finite number, got "x"$/],
  ];
  for (const [file, message] of cases) {
    await assert.rejects(
      readAlphasFile(file),
      (error: unknown) => error instanceof AlphasFileError && error.file === file && message.test(error.message),
      file,
    );
  }
});
