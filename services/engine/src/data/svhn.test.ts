import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from './errors.js';
import type { DataProblem } from './errors.js';
import { loadDataset } from './load.js';
import { readMat5 } from './mat5.js';
import { loadSvhn, readSvhnFile } from './svhn.js';
import { writeMat5 } from './testing/mat5-writer.js';
import type { MatVarSpec, MatWriteOptions } from './testing/mat5-writer.js';

/** Known pixel of image n at row r, column c, channel ch; asymmetric in r and c. */
const pix = (n: number, r: number, c: number, ch: number): number => (n * 53 + r * 7 + c * 2 + r * c + ch * 90) % 256;

/** X as MATLAB stores a 32x32x3xN array: column-major, element (r, c, ch, n) at r + 32c + 1024ch + 3072n. */
function svhnX(count: number, first = 0): MatVarSpec {
  const values = new Uint8Array(count * 3072);
  for (let n = 0; n < count; n++)
    for (let ch = 0; ch < 3; ch++)
      for (let c = 0; c < 32; c++)
        for (let r = 0; r < 32; r++) values[r + 32 * c + 1024 * ch + 3072 * n] = pix(first + n, r, c, ch);
  return { name: 'X', className: 'uint8', dims: [32, 32, 3, count], values, storage: 'uint8' };
}

function svhnY(labels: number[], storage: 'uint8' | 'double' = 'double'): MatVarSpec {
  return { name: 'y', className: 'double', dims: [labels.length, 1], values: labels, storage };
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lrnas-svhn-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeSet(dir: string, options: MatWriteOptions, yStorage: 'uint8' | 'double' = 'double'): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'train_32x32.mat'), writeMat5([svhnX(4), svhnY([10, 1, 5, 9], yStorage)], options));
  await writeFile(join(dir, 'test_32x32.mat'), writeMat5([svhnX(2, 50), svhnY([3, 10], yStorage)], options));
}

async function rejects(promise: Promise<unknown>, problem: DataProblem, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const variants: Array<[string, MatWriteOptions, 'uint8' | 'double']> = [
  ['uncompressed, y as double', {}, 'double'],
  ['compressed, y as double', { compressed: true }, 'double'],
  ['compressed and padded, y as uint8-stored double', { compressed: true, padCompressed: true }, 'uint8'],
  ['big-endian, compressed', { compressed: true, bigEndian: true }, 'double'],
  ['big-endian, uncompressed', { bigEndian: true }, 'double'],
];

for (const [label, options, yStorage] of variants) {
  test(`SVHN ${label}: exact pixels at (row, column, channel) and labels with 10 -> 0`, async () => {
    const dir = join(root, label.replace(/\W+/g, '-'));
    await writeSet(dir, options, yStorage);
    const { train, test: testSet } = await loadSvhn(dir);
    assert.deepEqual([train.size, train.height, train.width, train.channels, train.classes], [4, 32, 32, 3, 10]);
    assert.deepEqual([...train.labels], [0, 1, 5, 9]);
    assert.deepEqual([...testSet.labels], [3, 0]);
    for (let n = 0; n < 4; n++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(train.pixel(n, r, c, ch), pix(n, r, c, ch));
    for (let n = 0; n < 2; n++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(testSet.pixel(n, r, c, ch), pix(50 + n, r, c, ch));
    assert.equal(train.flippable, false);
  });
}

test('SVHN through loadDataset, from the parent folder, with a limit', async () => {
  await writeSet(join(root, 'parent', 'svhn'), { compressed: true });
  const { train, test: testSet } = await loadDataset({
    name: 'svhn',
    dataDir: join(root, 'parent'),
    seed: 3,
    trainLimit: 2,
  });
  assert.equal(train.size, 2);
  assert.equal(testSet.size, 2);
  for (let i = 0; i < 2; i++) {
    const n = [0, 1, 5, 9].indexOf(train.labels[i]!);
    assert.equal(train.pixel(i, 17, 4, 2), pix(n, 17, 4, 2));
  }
});

test('MAT reader: other variables are skipped; long names, single-image X and vectors decode', () => {
  const other: MatVarSpec = {
    name: '__header_comment',
    className: 'char',
    dims: [1, 5],
    values: [104, 101, 108, 108, 111],
    storage: 'uint8',
  };
  const scalar: MatVarSpec = { name: 'scale', className: 'double', dims: [1, 1], values: [0.25], storage: 'double' };
  for (const compressed of [false, true]) {
    const vars = readMat5(
      writeMat5([other, scalar, { ...svhnX(1), dims: [32, 32, 3] }, svhnY([7])], { compressed }),
      'x.mat',
    );
    assert.deepEqual([...vars.keys()], ['__header_comment', 'scale', 'X', 'y']);
    assert.equal(vars.get('__header_comment')?.className, 'char');
    assert.equal(vars.get('__header_comment')?.real, undefined);
    assert.deepEqual([...(vars.get('scale')?.real ?? [])], [0.25]);
    assert.deepEqual(vars.get('X')?.dims, [32, 32, 3]);
    assert.ok(vars.get('X')?.real instanceof Uint8Array);
    assert.equal(vars.get('X')?.real?.[1 + 32 * 2 + 1024 * 1], pix(0, 1, 2, 1));
  }
});

test('SVHN: one image (MATLAB drops the trailing singleton dimension) loads', async () => {
  const file = join(root, 'one.mat');
  await writeFile(file, writeMat5([{ ...svhnX(1), dims: [32, 32, 3] }, svhnY([2])], { compressed: true }));
  const ds = await readSvhnFile(file, 'test');
  assert.equal(ds.size, 1);
  assert.equal(ds.pixel(0, 30, 1, 0), pix(0, 30, 1, 0));
});

test('SVHN and MAT reader: malformed files give clear errors', async () => {
  const file = join(root, 'bad.mat');
  const good = writeMat5([svhnX(2), svhnY([1, 2])], {});
  const goodCompressed = writeMat5([svhnX(2), svhnY([1, 2])], { compressed: true });
  const read = async (bytes: Uint8Array) => {
    await writeFile(file, bytes);
    return readSvhnFile(file, 'train');
  };

  await rejects(
    read(good.subarray(0, good.length - 100)),
    'TRUNCATED',
    /bad\.mat: element at byte \d+ of the file declares \d+ bytes but only \d+ remain/,
  );
  await rejects(read(goodCompressed.subarray(0, 3000)), 'TRUNCATED', /declares \d+ bytes but only \d+ remain/);
  await rejects(read(good.subarray(0, 60)), 'TRUNCATED', /shorter than the 128-byte MAT-file header/);
  await rejects(read(good.subarray(0, 131)), 'TRUNCATED', /ends inside an element tag at byte 128/);

  const garbled = Uint8Array.from(goodCompressed);
  garbled.fill(0x55, 200, 260); // inside the deflate stream
  await rejects(read(garbled), 'BAD_FORMAT', /compressed element at byte 128 of the file cannot be inflated/);

  const noIndicator = Uint8Array.from(good);
  noIndicator[126] = 0;
  await rejects(read(noIndicator), 'BAD_FORMAT', /bad header: no endian indicator/);
  await rejects(
    read(writeMat5([svhnX(1)], { headerText: 'MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00' })),
    'BAD_FORMAT',
    /MAT v7\.3 \(HDF5\)/,
  );
  const badVersion = Uint8Array.from(good);
  badVersion[124] = 0x02;
  await rejects(read(badVersion), 'BAD_FORMAT', /version 0x102 is not 0x0100/);

  await rejects(
    read(writeMat5([svhnX(2)], { compressed: true })),
    'MISSING_VARIABLE',
    /lacks variable y \(variables found: X\)/,
  );
  await rejects(read(writeMat5([svhnY([1])])), 'MISSING_VARIABLE', /lacks variable X/);
  await rejects(read(writeMat5([svhnX(2), svhnY([1, 11])])), 'BAD_LABEL', /y\(2\) = 11 is not a label 1\.\.10/);
  await rejects(read(writeMat5([svhnX(2), svhnY([0, 1])])), 'BAD_LABEL', /y\(1\) = 0/);
  await rejects(read(writeMat5([svhnX(2), svhnY([1, 2, 3])])), 'BAD_SIZE', /y is 3x1 but X holds 2 images/);
  const doubleX: MatVarSpec = { ...svhnX(1), className: 'double', storage: 'double' };
  await rejects(
    read(writeMat5([doubleX, svhnY([1])])),
    'BAD_FORMAT',
    /X must be a real uint8 array .* found double 32x32x3x1/,
  );
  await rejects(
    read(writeMat5([{ ...svhnX(1), dims: [32, 32, 3, 2] }, svhnY([1, 2])])),
    'BAD_SIZE',
    /X holds 3072 values, but its dimensions 32x32x3x2 need 6144/,
  );

  await rejects(loadSvhn(join(root, 'absent')), 'MISSING', /does not exist/);
  await mkdir(join(root, 'half'), { recursive: true });
  await writeFile(join(root, 'half', 'train_32x32.mat'), good);
  await rejects(loadSvhn(join(root, 'half')), 'MISSING', /test_32x32\.mat: file does not exist/);
});

test('SVHN files written by another implementation (SciPy savemat) load with the same pixel mapping', async () => {
  // Made once with SciPy 1.17 (do_compression False / True): X = uint8 array (32, 32, 3, 2) with
  // X[r, c, ch, n] = pix(n, r, c, ch), y = [[10.0], [4.0]]. The compressed one has unpadded elements.
  for (const name of ['svhn-scipy-plain.mat', 'svhn-scipy-compressed.mat']) {
    const ds = await readSvhnFile(join(import.meta.dirname, 'testing', 'fixtures', name), 'test');
    assert.deepEqual([...ds.labels], [0, 4]);
    for (let n = 0; n < 2; n++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(ds.pixel(n, r, c, ch), pix(n, r, c, ch), name);
  }
});
