import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { drawAugmentation, resolveAugmentation, writeAugmented } from './augment.js';
import { EpochPlan, batchCount, batches } from './batches.js';
import type { BatchOptions } from './batches.js';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { Rng } from '../random.js';
import { syntheticDataset } from './testing/synthetic.js';

/** Image n of these sets has every pixel equal to n + 1 (so zero padding is distinguishable), label n % 4. */
const idSet = (size: number, flippable = true): Dataset =>
  syntheticDataset({ size, height: 4, width: 4, channels: 2, flippable, pattern: (n) => n + 1 });

/** Which image each row of a float batch shows (via its centre pixel, never padding with pad <= 1). */
function rowIds(x: Float32Array, ds: Dataset): number[] {
  const m = ds.imageSize;
  const centre = ((ds.height >> 1) * ds.width + (ds.width >> 1)) * ds.channels;
  return Array.from({ length: x.length / m }, (_, i) => Math.round(x[i * m + centre]! * 255) - 1);
}

async function collect(
  ds: Dataset,
  options: BatchOptions,
): Promise<Array<{ x: number[]; y: number[]; shape: number[] }>> {
  const out = [];
  for (const batch of batches(ds, options)) {
    out.push({ x: [...(await batch.x.data())], y: [...(await batch.y.data())], shape: batch.x.shape });
    assert.equal(batch.y.dtype, 'int32');
    tf.dispose([batch.x, batch.y]);
  }
  return out;
}

test('an epoch visits every image once, labels follow images, order is seeded per epoch', async () => {
  await tf.setBackend('cpu');
  const ds = idSet(23);
  const plan = new EpochPlan(ds, { batchSize: 5, seed: 1, epoch: 0 });
  assert.equal(plan.count, 5);
  const seen: number[] = [];
  for (let b = 0; b < plan.count; b++) {
    const { x, y, size } = plan.arrays(b);
    assert.equal(size, b < 4 ? 5 : 3);
    const idsOfRows = rowIds(x, ds);
    assert.deepEqual(
      [...y],
      idsOfRows.map((n) => n % 4),
    );
    seen.push(...idsOfRows);
  }
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 23 }, (_, i) => i),
  );
  const order = (seed: number, epoch: number) => [...new EpochPlan(ds, { batchSize: 5, seed, epoch }).order];
  assert.deepEqual(order(1, 0), [...plan.order]);
  assert.notDeepEqual(order(1, 1), order(1, 0));
  assert.notDeepEqual(order(2, 0), order(1, 0));
  assert.deepEqual(
    [...new EpochPlan(ds, { batchSize: 5, seed: 1, epoch: 0, shuffle: false }).order],
    Array.from({ length: 23 }, (_, i) => i),
  );
  assert.equal(batchCount(23, 5, true), 4);
  assert.equal(new EpochPlan(ds, { batchSize: 5, seed: 1, epoch: 0, dropLast: true }).count, 4);
});

test('tensor batches have NHWC float32 images in [0, 1] and int32 labels; no tensors leak', async () => {
  await tf.setBackend('cpu');
  const ds = syntheticDataset({ size: 10, height: 6, width: 5, channels: 3 });
  const before = tf.memory().numTensors;
  const got = await collect(ds, { batchSize: 4, seed: 3, epoch: 2, augment: true });
  assert.deepEqual(
    got.map((b) => b.shape),
    [
      [4, 6, 5, 3],
      [4, 6, 5, 3],
      [2, 6, 5, 3],
    ],
  );
  assert.ok(got.every((b) => b.x.every((v) => v >= 0 && v <= 1)));
  assert.equal(tf.memory().numTensors, before);
});

test('resuming at (seed, epoch, batch) reproduces an uninterrupted run exactly, augmentation included', async () => {
  await tf.setBackend('cpu');
  const ds = syntheticDataset({ size: 37, height: 8, width: 8, channels: 3 });
  const options: BatchOptions = { batchSize: 6, seed: 11, epoch: 3, augment: { padding: 2 } };
  const full = await collect(ds, options);
  for (const start of [1, 4, 6]) {
    const resumed = await collect(ds, { ...options, startBatch: start });
    assert.deepEqual(resumed, full.slice(start));
  }
  assert.deepEqual(await collect(ds, { ...options, startBatch: 7 }), []);
  assert.throws(() => [...batches(ds, { ...options, startBatch: 8 })], DataError);
  // Another epoch or seed augments differently.
  assert.notDeepEqual((await collect(ds, { ...options, epoch: 4 }))[0], full[0]);
  assert.notDeepEqual((await collect(ds, { ...options, seed: 12 }))[0], full[0]);
});

test('flip mirrors columns; crop shifts the image and fills the border with zeros', () => {
  const ds = syntheticDataset({
    size: 2,
    height: 5,
    width: 6,
    channels: 2,
    pattern: (n, r, c, ch) => 10 + n * 100 + r * 12 + c * 2 + ch,
  });
  const m = ds.imageSize;
  const at = (out: Float32Array, r: number, c: number, ch: number) =>
    Math.round(out[(r * ds.width + c) * ds.channels + ch]! * 255);
  const out = new Float32Array(m);

  writeAugmented(ds, 1, out, 0, 0, { dy: 0, dx: 0, flip: true });
  for (let r = 0; r < 5; r++)
    for (let c = 0; c < 6; c++)
      for (let ch = 0; ch < 2; ch++) assert.equal(at(out, r, c, ch), ds.pixel(1, r, 5 - c, ch));

  // Window at the padded image's corner: the image moves down-right by the padding.
  writeAugmented(ds, 1, out, 0, 2, { dy: 0, dx: 0, flip: false });
  for (let r = 0; r < 5; r++) {
    for (let c = 0; c < 6; c++) {
      for (let ch = 0; ch < 2; ch++)
        assert.equal(at(out, r, c, ch), r < 2 || c < 2 ? 0 : ds.pixel(1, r - 2, c - 2, ch));
    }
  }
  // Window at the opposite corner: up-left, zeros at the bottom and right.
  writeAugmented(ds, 0, out, 0, 2, { dy: 4, dx: 4, flip: false });
  for (let r = 0; r < 5; r++) {
    for (let c = 0; c < 6; c++) {
      for (let ch = 0; ch < 2; ch++)
        assert.equal(at(out, r, c, ch), r >= 3 || c >= 4 ? 0 : ds.pixel(0, r + 2, c + 2, ch));
    }
  }
  // Centred window without flip is the identity; with flip and a shift, cropping happens before mirroring.
  writeAugmented(ds, 0, out, 0, 2, { dy: 2, dx: 2, flip: false });
  assert.deepEqual([...out], [...ds.images(0, 1)]);
  writeAugmented(ds, 0, out, 0, 1, { dy: 1, dx: 0, flip: true });
  for (let r = 0; r < 5; r++)
    for (let c = 0; c < 6; c++) assert.equal(at(out, r, c, 0), 5 - c - 1 < 0 ? 0 : ds.pixel(0, r, 5 - c - 1, 0));
});

test('random crops cover all offsets and keep the shape; flips happen about half the time', () => {
  const ds = syntheticDataset({ size: 1, height: 8, width: 8, channels: 1 });
  const aug = resolveAugmentation(ds, true);
  assert.deepEqual(aug, { padding: 4, flip: true });
  const rng = new Rng(5);
  const offsets = new Set<string>();
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const d = drawAugmentation(aug!, rng);
    assert.ok(d.dy >= 0 && d.dy <= 8 && d.dx >= 0 && d.dx <= 8);
    offsets.add(`${d.dy},${d.dx}`);
    if (d.flip) flips++;
  }
  assert.equal(offsets.size, 81);
  assert.ok(flips > 900 && flips < 1100, `${flips} flips of 2000`);
});

test('flipping is off for data sets that forbid it; asking for it is an error', async () => {
  await tf.setBackend('cpu');
  const digits = syntheticDataset({ size: 40, height: 8, width: 8, channels: 1, flippable: false });
  assert.deepEqual(resolveAugmentation(digits, true), { padding: 4, flip: false });
  assert.equal(resolveAugmentation(digits, { padding: 0 }), undefined);
  assert.throws(
    () => resolveAugmentation(digits, { flip: true }),
    (e: unknown) => e instanceof DataError && e.problem === 'BAD_OPTION' && /must not be flipped/.test(e.message),
  );
  assert.throws(
    () => new EpochPlan(digits, { batchSize: 8, seed: 1, epoch: 0, augment: { padding: 0, flip: true } }),
    DataError,
  );

  // A flip-only augmentation on an asymmetric image: mirrored rows appear for photos, never for digits.
  const asym = (flippable: boolean) =>
    syntheticDataset({ size: 64, height: 3, width: 3, channels: 1, flippable, pattern: (n, r, c) => 1 + c });
  const mirroredRows = (ds: Dataset) => {
    const plan = new EpochPlan(ds, { batchSize: 64, seed: 2, epoch: 0, augment: { padding: 1 } });
    const { x } = plan.arrays(0);
    let mirrored = 0;
    for (let i = 0; i < 64; i++) {
      // Column values increase left to right in the original; a flip makes them decrease.
      const row = [0, 1, 2].map((c) => x[i * 9 + 3 + c]!).filter((v) => v > 0);
      if (row.length >= 2 && row[0]! > row[row.length - 1]!) mirrored++;
    }
    return mirrored;
  };
  assert.equal(mirroredRows(asym(false)), 0);
  assert.ok(mirroredRows(asym(true)) > 10);
  assert.throws(() => resolveAugmentation(digits, { padding: 4.5 }), DataError);
  assert.throws(() => resolveAugmentation(digits, { padding: 8 }), /padding must be an integer in 0\.\.7/);
});

test('bad batch options are rejected clearly', () => {
  const ds = idSet(5);
  assert.throws(() => new EpochPlan(ds, { batchSize: 0, seed: 1, epoch: 0 }), /batchSize must be a positive integer/);
  assert.throws(() => new EpochPlan(ds, { batchSize: 2, seed: 1, epoch: -1 }), /epoch must be a non-negative integer/);
  assert.throws(() => new EpochPlan(ds, { batchSize: 2, seed: 1, epoch: 0 }).arrays(3), /batch 3 is not in 0\.\.2/);
});
