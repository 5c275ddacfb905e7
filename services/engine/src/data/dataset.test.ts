import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { limitSize, splitHalves, splitTrainTest } from './splits.js';
import { syntheticDataset } from './testing/synthetic.js';

/** Identifies each image of a synthetic set by its first byte (unique for n < 256 with the default pattern). */
function ids(ds: Dataset): number[] {
  return Array.from({ length: ds.size }, (_, i) => ds.pixels[i * ds.imageSize]!);
}

test('a data set converts bytes to float32 in [0, 1], NHWC, on demand', () => {
  const ds = syntheticDataset({ size: 3, height: 2, width: 2, channels: 3 });
  assert.equal(ds.imageSize, 12);
  const images = ds.images(1, 3);
  assert.ok(images instanceof Float32Array);
  assert.equal(images.length, 24);
  // Image 1, row 1, column 0, channel 2 lies at ((1-1)*2*2 + 1*2 + 0)*3 + 2 within the slice.
  assert.equal(images[(1 * 2 + 0) * 3 + 2], Math.fround(ds.pixel(1, 1, 0, 2) / 255));
  assert.ok(images.every((v) => v >= 0 && v <= 1));
  assert.equal(ds.images(2, 2).length, 0);
  const extremes = syntheticDataset({ size: 2, height: 1, width: 1, channels: 1, pattern: (n) => (n === 0 ? 0 : 255) });
  assert.deepEqual([...extremes.images()], [0, 1]);
});

test('toTensors gives float32 NHWC images and int32 labels', async () => {
  await tf.setBackend('cpu');
  const ds = syntheticDataset({ size: 5 });
  const before = tf.memory().numTensors;
  const { x, y } = ds.toTensors(1, 4);
  assert.deepEqual(x.shape, [3, 6, 5, 3]);
  assert.equal(x.dtype, 'float32');
  assert.equal(y.dtype, 'int32');
  assert.deepEqual([...(await y.data())], [1, 2, 3]);
  assert.equal((await x.data())[0], Math.fround(ds.pixel(1, 0, 0, 0) / 255));
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
});

test('the constructor rejects inconsistent sizes and labels outside the classes', () => {
  const base = { name: 't', split: 'train', height: 2, width: 2, channels: 1, classes: 3, flippable: false };
  assert.throws(
    () => new Dataset({ ...base, pixels: new Uint8Array(7), labels: new Int32Array(2) }),
    (e: unknown) => e instanceof DataError && e.problem === 'BAD_SIZE',
  );
  assert.throws(
    () => new Dataset({ ...base, pixels: new Uint8Array(8), labels: Int32Array.from([0, 3]) }),
    (e: unknown) => e instanceof DataError && e.problem === 'BAD_LABEL' && /label 3 of image 1/.test(e.message),
  );
  assert.throws(
    () => new Dataset({ ...base, pixels: new Uint8Array(8), labels: new Int32Array(2), classNames: ['a'] }),
    DataError,
  );
});

test('subset copies the chosen images in order; head shares memory', () => {
  const ds = syntheticDataset({ size: 10 });
  const sub = ds.subset([7, 2, 7]);
  assert.deepEqual(ids(sub), [ids(ds)[7], ids(ds)[2], ids(ds)[7]]);
  assert.deepEqual([...sub.labels], [3, 2, 3]);
  sub.pixels[0] = 0;
  assert.notEqual(ds.pixels[7 * ds.imageSize], 0);
  const head = ds.head(4);
  assert.equal(head.size, 4);
  assert.equal(head.pixels.buffer, ds.pixels.buffer);
  assert.throws(() => ds.subset([10]), DataError);
  assert.deepEqual(ds.classCounts(), [3, 3, 2, 2]);
});

test('splitHalves: seeded, disjoint, covering, and different across seeds', () => {
  const ds = syntheticDataset({ size: 101 });
  const a = splitHalves(ds, 1);
  const b = splitHalves(ds, 1);
  const c = splitHalves(ds, 2);
  assert.equal(a.train.size, 51);
  assert.equal(a.valid.size, 50);
  assert.deepEqual(ids(a.train), ids(b.train));
  assert.deepEqual(ids(a.valid), ids(b.valid));
  assert.notDeepEqual(ids(a.train), ids(c.train));
  const all = [...ids(a.train), ...ids(a.valid)].sort((x, y) => x - y);
  assert.deepEqual(
    all,
    ids(ds).sort((x, y) => x - y),
  );
  assert.equal(a.valid.split, 'train/valid');
  // Labels travel with their images.
  for (let i = 0; i < a.valid.size; i++) assert.equal(a.valid.labels[i], ids(ds).indexOf(ids(a.valid)[i]!) % 4);
});

test('splitTrainTest and limitSize are seeded; limited subsets nest', () => {
  const ds = syntheticDataset({ size: 200 });
  const s1 = splitTrainTest(ds, 50, 9);
  assert.equal(s1.train.size, 150);
  assert.equal(s1.test.size, 50);
  assert.deepEqual(ids(splitTrainTest(ds, 50, 9).test), ids(s1.test));
  assert.notDeepEqual(ids(splitTrainTest(ds, 50, 10).test), ids(s1.test));
  const trainIds = new Set(ids(s1.train));
  assert.ok(ids(s1.test).every((id) => !trainIds.has(id)));
  assert.throws(() => splitTrainTest(ds, 200, 1), DataError);

  assert.equal(limitSize(ds, undefined, 1), ds);
  assert.equal(limitSize(ds, 500, 1), ds);
  const small = limitSize(ds, 20, 4);
  const large = limitSize(ds, 60, 4);
  assert.deepEqual(ids(small), ids(large).slice(0, 20));
  assert.notDeepEqual(ids(limitSize(ds, 20, 5)), ids(small));
  assert.throws(() => limitSize(ds, 0, 1), DataError);
});
