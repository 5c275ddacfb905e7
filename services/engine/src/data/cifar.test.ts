import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR100_CLASSES, CIFAR10_CLASSES, loadCifar10, loadCifar100 } from './cifar.js';
import { DataError } from './errors.js';
import type { DataProblem } from './errors.js';
import { loadDataset } from './load.js';

/** Known pixel of image `n` (global index) at row r, column c, channel ch; asymmetric in r and c. */
const pix = (n: number, r: number, c: number, ch: number): number => (n * 37 + r * 5 + c * 3 + r * c + ch * 85) % 256;

/** A record as the CIFAR page describes it: label byte(s), then the R, G, B planes, each row-major 32x32. */
function record(labels: number[], n: number): Uint8Array {
  const out = new Uint8Array(labels.length + 3072);
  out.set(labels);
  for (let ch = 0; ch < 3; ch++)
    for (let r = 0; r < 32; r++)
      for (let c = 0; c < 32; c++) out[labels.length + ch * 1024 + r * 32 + c] = pix(n, r, c, ch);
  return out;
}

function records(list: Uint8Array[]): Uint8Array {
  return Buffer.concat(list);
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'lrnas-cifar-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a CIFAR-10 folder with 2 records per training batch and 3 test records; image ids are global. */
async function writeCifar10(dir: string, testLabels = [3, 9, 0]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let b = 1; b <= 5; b++) {
    const base = (b - 1) * 2;
    await writeFile(
      join(dir, `data_batch_${b}.bin`),
      records([record([base % 10], base), record([(base + 1) % 10], base + 1)]),
    );
  }
  await writeFile(join(dir, 'test_batch.bin'), records(testLabels.map((l, i) => record([l], 100 + i))));
}

async function rejects(promise: Promise<unknown>, problem: DataProblem, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.problem, problem, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

test('CIFAR-10: pixels land at (row, column, channel) and labels match, from the folder or its parent', async () => {
  const dir = join(root, 'c10', 'cifar-10-batches-bin');
  await writeCifar10(dir);
  for (const given of [dir, join(root, 'c10')]) {
    const { train, test: testSet } = await loadCifar10(given);
    assert.equal(train.size, 10);
    assert.equal(testSet.size, 3);
    assert.deepEqual([train.height, train.width, train.channels, train.classes], [32, 32, 3, 10]);
    assert.deepEqual([...train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...testSet.labels], [3, 9, 0]);
    for (let n = 0; n < 10; n++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(train.pixel(n, r, c, ch), pix(n, r, c, ch));
    for (let n = 0; n < 3; n++)
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++)
          for (let ch = 0; ch < 3; ch++) assert.equal(testSet.pixel(n, r, c, ch), pix(100 + n, r, c, ch));
    // NHWC: the three channels of a pixel are adjacent.
    assert.deepEqual(
      [...train.pixels.subarray(3 * (5 * 32 + 7), 3 * (5 * 32 + 7) + 3)],
      [pix(0, 5, 7, 0), pix(0, 5, 7, 1), pix(0, 5, 7, 2)],
    );
    assert.equal(train.classNames?.[3], 'cat');
    assert.ok(train.flippable);
  }
  assert.equal(CIFAR10_CLASSES.length, 10);
});

test('CIFAR-100: the fine label is the target, coarse labels are checked', async () => {
  const dir = join(root, 'c100', 'cifar-100-binary');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'train.bin'), records([record([4, 99], 0), record([19, 0], 1), record([0, 57], 2)]));
  await writeFile(join(dir, 'test.bin'), records([record([7, 12], 3)]));
  const { train, test: testSet } = await loadCifar100(join(root, 'c100'));
  assert.deepEqual([...train.labels], [99, 0, 57]);
  assert.deepEqual([...testSet.labels], [12]);
  assert.equal(train.classes, 100);
  assert.equal(CIFAR100_CLASSES.length, 100);
  assert.equal(new Set(CIFAR100_CLASSES).size, 100);
  assert.equal(train.classNames?.[99], 'worm');
  for (let n = 0; n < 3; n++)
    for (let r = 0; r < 32; r++)
      for (let c = 0; c < 32; c++)
        for (let ch = 0; ch < 3; ch++) assert.equal(train.pixel(n, r, c, ch), pix(n, r, c, ch));
  assert.equal(testSet.pixel(0, 31, 0, 2), pix(3, 31, 0, 2));

  await writeFile(join(dir, 'test.bin'), records([record([20, 12], 0)]));
  await rejects(loadCifar100(dir), 'BAD_LABEL', /test\.bin: record 0 has label byte 0 = 20, outside 0\.\.19/);
  await writeFile(join(dir, 'test.bin'), records([record([1, 100], 0)]));
  await rejects(loadCifar100(dir), 'BAD_LABEL', /label byte 1 = 100, outside 0\.\.99/);
});

test('CIFAR: malformed and missing files give clear errors', async () => {
  const dir = join(root, 'bad', 'cifar-10-batches-bin');
  await writeCifar10(dir);
  const test1 = join(dir, 'test_batch.bin');

  await writeFile(test1, records([record([1], 0), record([2], 1)]).subarray(0, 3073 + 1000));
  await rejects(
    loadCifar10(dir),
    'TRUNCATED',
    /test_batch\.bin: 4073 bytes is not a whole number of 3073-byte CIFAR-10 .*record 2 is cut off after 1000 bytes/,
  );

  await writeFile(test1, records([record([1, 2], 0), record([1, 2], 1)]));
  await rejects(loadCifar10(dir), 'BAD_SIZE', /fits 3074-byte CIFAR-100 .*wrong data set/);

  await writeFile(test1, new Uint8Array(0));
  await rejects(loadCifar10(dir), 'TRUNCATED', /test_batch\.bin: is empty/);

  await writeFile(test1, records([record([1], 0), record([10], 1)]));
  await rejects(loadCifar10(dir), 'BAD_LABEL', /record 1 has label byte 0 = 10, outside 0\.\.9/);

  await rm(test1);
  await rejects(loadCifar10(dir), 'MISSING', /test_batch\.bin: file does not exist/);
  await rm(join(dir, 'data_batch_3.bin'));
  await rejects(loadCifar10(dir), 'MISSING', /data_batch_3\.bin: file does not exist/);

  await rejects(
    loadCifar10(join(root, 'nowhere')),
    'MISSING',
    /nowhere: data directory for CIFAR-10 .* does not exist/,
  );
  await rejects(loadCifar10(root), 'MISSING', /no data_batch_1\.bin here nor in cifar-10-batches-bin\//);
  await rejects(loadCifar10(undefined), 'MISSING', /pass a data directory/);
  await rejects(loadCifar10(test1.replace('test_batch.bin', 'data_batch_1.bin')), 'BAD_FORMAT', /is not a directory/);
  const err = await loadCifar10(join(root, 'nowhere')).catch((e: unknown) => e);
  assert.ok(err instanceof DataError && err.code === 'NOT_FOUND');
});

test('loadDataset reads CIFAR-10 with seeded, nested limits', async () => {
  const dir = join(root, 'viaLoad');
  await writeCifar10(join(dir, 'cifar-10-batches-bin'));
  const a = await loadDataset({ name: 'cifar10', dataDir: dir, seed: 1, trainLimit: 4, testLimit: 2 });
  const b = await loadDataset({ name: 'cifar10', dataDir: dir, seed: 1, trainLimit: 4, testLimit: 2 });
  const c = await loadDataset({ name: 'cifar10', dataDir: dir, seed: 1, trainLimit: 6 });
  assert.equal(a.train.size, 4);
  assert.equal(a.test.size, 2);
  assert.equal(c.test.size, 3);
  assert.deepEqual([...a.train.labels], [...b.train.labels]);
  // CIFAR-10 labels here equal the image index, so labels identify images.
  assert.deepEqual([...a.train.labels], [...c.train.labels].slice(0, 4));
  for (let i = 0; i < 4; i++) assert.equal(a.train.pixel(i, 3, 4, 1), pix(a.train.labels[i]!, 3, 4, 1));
  await rejects(
    loadDataset({ name: 'cifar10', dataDir: dir, seed: 1, testSize: 5 }),
    'BAD_OPTION',
    /published test set/,
  );
});
