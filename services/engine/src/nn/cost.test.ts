import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { countParameters, networkCost } from './cost.js';
import { EvalNetwork } from './network.js';
import { DEFAULT_NETWORK_SHAPE, planCells, reductionLayers } from './plan.js';
import { publishedGenotypes, useBackend } from './test-util.js';

await useBackend('cpu');
const GENOTYPES = publishedGenotypes();

test('DARTS_V2 at C=36, L=20, 10 classes, RGB has exactly 3,349,342 parameters (the reference count)', () => {
  assert.equal(countParameters(GENOTYPES.DARTS_V2, DEFAULT_NETWORK_SHAPE), 3_349_342);
});

test('at the paper size, the analytic count of every published genotype equals its built network', () => {
  for (const [name, genotype] of Object.entries(GENOTYPES)) {
    const net = new EvalNetwork(genotype, DEFAULT_NETWORK_SHAPE);
    const built = net.parameters().reduce((n, v) => n + v.size, 0);
    assert.equal(countParameters(genotype, DEFAULT_NETWORK_SHAPE), built, name);
    net.dispose();
  }
  assert.equal(tf.memory().numTensors, 0);
});

test('reductions sit at L//3 and 2L//3 and double the channels, as in DARTS', () => {
  assert.deepEqual(reductionLayers(20), [6, 13]);
  assert.deepEqual(reductionLayers(8), [2, 5]);
  assert.deepEqual(reductionLayers(5), [1, 3]);
  assert.deepEqual(reductionLayers(2), [0, 1]);
  const plan = planCells({ channels: 16, layers: 8, classes: 10, inputChannels: 3 });
  assert.deepEqual(
    plan.map((cell) => [cell.reduction, cell.reductionPrev, cell.cPrevPrev, cell.cPrev, cell.c]),
    [
      [false, false, 48, 48, 16],
      [false, false, 48, 64, 16],
      [true, false, 64, 64, 32],
      [false, true, 64, 128, 32],
      [false, false, 128, 128, 32],
      [true, false, 128, 128, 64],
      [false, true, 128, 256, 64],
      [false, false, 256, 256, 64],
    ],
  );
});

test('counting is instant: thousands of 20-layer counts well under a second', () => {
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < 5000; i++) sink += countParameters(GENOTYPES.LRNAS_C10, DEFAULT_NETWORK_SHAPE);
  const ms = performance.now() - start;
  assert.ok(sink > 0);
  assert.ok(ms < 1000, `5000 counts took ${ms.toFixed(0)} ms`);
});

test('FLOPs grow with the image area and do not depend on the class count beyond the classifier', () => {
  const shape = DEFAULT_NETWORK_SHAPE;
  const at32 = networkCost(GENOTYPES.DARTS_V2, shape, 32).flops;
  const at64 = networkCost(GENOTYPES.DARTS_V2, shape, 64).flops;
  const classifier = 4 * 4 * 36 * 10;
  assert.equal(at64 - classifier, 4 * (at32 - classifier));
  const c100 = networkCost(GENOTYPES.DARTS_V2, { ...shape, classes: 100 }, 32).flops;
  assert.equal(c100 - at32, 4 * 4 * 36 * 90);
});

test('bad sizes are rejected with the offending field named', () => {
  const bad = (shape: object, field: string) =>
    assert.throws(
      () => countParameters(GENOTYPES.DARTS_V2, { ...DEFAULT_NETWORK_SHAPE, ...shape }),
      (error: unknown) => error instanceof ContractError && error.field === field,
    );
  bad({ channels: 0 }, 'channels');
  bad({ layers: 2.5 }, 'layers');
  bad({ classes: -1 }, 'classes');
  bad({ inputChannels: Number.NaN }, 'inputChannels');
  assert.throws(
    () => networkCost(GENOTYPES.DARTS_V2, DEFAULT_NETWORK_SHAPE, 0),
    /imageSize must be a positive integer/,
  );
});
