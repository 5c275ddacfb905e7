import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { scanByteRows } from './int-rows.js';
import { loadDataset } from './load.js';

function meanPixel(ds: Dataset): number {
  let sum = 0;
  for (const b of ds.pixels) sum += b;
  return sum / ds.pixels.length / 255;
}

/** The first bytes of every image, as a key that identifies images (up to rare duplicates). */
function imageKeys(ds: Dataset): string[] {
  return Array.from({ length: ds.size }, (_, i) =>
    Buffer.from(ds.pixels.subarray(i * ds.imageSize, (i + 1) * ds.imageSize)).toString('base64'),
  );
}

test('MNIST: 10,000 digits split 8,000/2,000 by a fixed split seed, values and labels sensible', async () => {
  const { train, test: testSet } = await loadDataset({ name: 'mnist', seed: 1 });
  assert.equal(train.size, 8000);
  assert.equal(testSet.size, 2000);
  assert.deepEqual([train.height, train.width, train.channels, train.classes], [28, 28, 1, 10]);
  assert.equal(train.flippable, false);
  const images = testSet.images(0, 50);
  assert.ok(images.every((v) => v >= 0 && v <= 1));
  assert.ok(images.some((v) => v === 1) && images.some((v) => v === 0));
  // MNIST's well-known mean intensity is about 0.13.
  assert.ok(Math.abs(meanPixel(train) - 0.131) < 0.01, `mean ${meanPixel(train)}`);
  // Every digit makes up roughly a tenth of each part.
  for (const part of [train, testSet])
    for (const count of part.classCounts())
      assert.ok(count > 0.07 * part.size && count < 0.14 * part.size, `class count ${count} of ${part.size}`);

  // The run seed does not move the split (so evaluations never see training images); splitSeed does.
  const other = await loadDataset({ name: 'mnist', seed: 2 });
  assert.deepEqual(imageKeys(other.test), imageKeys(testSet));
  const moved = await loadDataset({ name: 'mnist', seed: 1, splitSeed: 5, testSize: 1000 });
  assert.equal(moved.test.size, 1000);
  assert.notDeepEqual(imageKeys(moved.test).slice(0, 50), imageKeys(testSet).slice(0, 50));
  const trainKeys = new Set(imageKeys(train));
  assert.ok(imageKeys(testSet).filter((k) => trainKeys.has(k)).length < 5, 'test images also in train');
});

test('MNIST bytes reproduce the package values (3-decimal floats) within rounding', async () => {
  const dir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const three = JSON.parse(await readFile(join(dir, 'src/digits/3.json'), 'utf8')) as { data: number[] };
  const { train, test: testSet } = await loadDataset({ name: 'mnist', seed: 0 });
  // Find the package's first "3" among the loaded images by content.
  const first = three.data.slice(0, 784);
  const match = [train, testSet].flatMap((ds) =>
    Array.from({ length: ds.size }, (_, i) => i)
      .filter((i) => ds.labels[i] === 3)
      .map((i) => ds.images(i, i + 1))
      .filter((img) => img.every((v, k) => Math.abs(v - first[k]!) <= 0.0005 + 1e-7)),
  );
  assert.ok(match.length >= 1, "no loaded image matches the package's first 3");
});

test('Fashion-MNIST: 70,000 images (empty rows skipped) split 60,000/10,000, 7,000 per class', async () => {
  const { train, test: testSet } = await loadDataset({ name: 'fashion-mnist', seed: 4, testLimit: 3000 });
  assert.equal(train.size, 60000);
  assert.equal(testSet.size, 3000);
  const full = await loadDataset({ name: 'fashion-mnist', seed: 4 });
  assert.equal(full.test.size, 10000);
  const perClass = full.train.classCounts().map((c, k) => c + full.test.classCounts()[k]!);
  assert.deepEqual(perClass, new Array(10).fill(7000));
  assert.equal(train.classNames?.[9], 'Ankle boot');
  // Fashion-MNIST's well-known mean intensity is about 0.286.
  assert.ok(Math.abs(meanPixel(train) - 0.286) < 0.01, `mean ${meanPixel(train)}`);
  for (const count of full.test.classCounts()) assert.ok(count > 800 && count < 1200, `test class count ${count}`);
  assert.equal(train.flippable, false);
});

test('the row scanner reads exact bytes and rejects malformed JSON clearly', () => {
  const scan = (s: string, len = 3) => scanByteRows(Buffer.from(s), len, 'c.json');
  assert.deepEqual(scan('{"data":[[1,2,3],[],[255,0,17]]}'), {
    bytes: Uint8Array.from([1, 2, 3, 255, 0, 17]),
    rows: 2,
  });
  assert.deepEqual(scan(' {\n "data" : [ [ 1 , 2,3 ] ] }\n'), { bytes: Uint8Array.from([1, 2, 3]), rows: 1 });
  assert.deepEqual(scan('{"data":[]}').rows, 0);
  const fails = (s: string, problem: string, pattern: RegExp) =>
    assert.throws(
      () => scan(s),
      (e: unknown) =>
        e instanceof DataError && e.problem === problem && pattern.test(e.message) && e.message.startsWith('c.json: '),
    );
  fails('{"data":[[1,2,256]]}', 'BAD_FORMAT', /not an integer 0\.\.255 at byte/);
  fails('{"data":[[1,2,3.5]]}', 'BAD_FORMAT', /neither "," nor "]"/);
  fails('{"data":[[1,-2,3]]}', 'BAD_FORMAT', /not an integer/);
  fails('{"data":[[1,2]]}', 'BAD_SIZE', /image 0 has 2 values, not 3/);
  fails('{"data":[[1,2,3,4]]}', 'BAD_SIZE', /more than 3 values/);
  fails('{"data":[[1,2,3]', 'BAD_FORMAT', /neither "," nor "]"/);
  fails('{"pixels":[]}', 'BAD_FORMAT', /missing "\\"data\\""/);
  fails('{"data":[[1,2,3]]} x', 'BAD_FORMAT', /trailing characters/);
  fails('', 'BAD_FORMAT', /missing "\{"/);
});
