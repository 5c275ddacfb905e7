import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from '../nn/batch-norm.js';
import { Sgd } from '../optim/optimizer.js';
import { JS_BACKENDS, spreadValues, useBackend } from './grad-check.js';
import { RUNNING_STATS, SGD_STEP } from './small-steps.js';

/** Runs `f` with the engine kernel `name` and again without it (the composed ops); returns both results. */
function withAndWithout<T>(backend: string, name: string, f: () => T): [T, T] {
  const kernel = tf.getKernel(name, backend);
  assert.ok(kernel, `${backend} has ${name}`);
  const fused = f();
  tf.unregisterKernel(name, backend);
  try {
    return [fused, f()];
  } finally {
    tf.registerKernel(kernel);
  }
}

for (const backend of JS_BACKENDS) {
  test(`${backend}: the one-kernel SGD step gives the composed ops' bits (momentum, weight decay, first step, gradient scale)`, async () => {
    await useBackend(backend);
    // 15 values: wasm's SIMD pass takes 12 four at a time and 3 one at a time.
    for (const [options, gradScale, shape] of [
      [{ momentum: 0.9, weightDecay: 1e-4 }, 1, [3, 4]],
      [{ momentum: 0.9, weightDecay: 1e-4 }, 0.37, [3, 5]],
      [{ momentum: 0, weightDecay: 0.5 }, 1, [3, 5]],
      [{ momentum: 0, weightDecay: 0 }, 0.2, [3, 5]],
      [{ momentum: 0.5, weightDecay: 0 }, 1, [3, 4]],
    ] as const) {
      const size = shape[0] * shape[1];
      const run = (): number[][] => {
        const before = tf.memory().numTensors;
        const initial = tf.tensor2d(spreadValues(size, 70), [...shape]);
        const w = tf.variable(initial);
        initial.dispose();
        const sgd = new Sgd([['w', w]], options);
        for (let step = 0; step < 3; step++) {
          const g = tf.tensor2d(spreadValues(size, 71 + step), [...shape]);
          sgd.step(new Map([['w', g]]), 0.05 * (step + 1), gradScale);
          g.dispose();
        }
        const out = [w, ...sgd.namedBuffers().map(([, b]) => b)].map((t) => Array.from(t.dataSync()));
        sgd.dispose();
        w.dispose();
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        return out;
      };
      const [fused, composed] = withAndWithout(backend, SGD_STEP, run);
      assert.deepEqual(fused, composed, JSON.stringify({ options, gradScale, shape }));
    }
  });

  test(`${backend}: the one-kernel running-statistics update gives the composed ops' bits`, async () => {
    await useBackend(backend);
    const run = (): number[][] => {
      const bn = new BatchNorm2d(3, { momentum: 0.3 }).initialize(1);
      const x = tf.tensor4d(
        spreadValues(2 * 3 * 4 * 3, 80).map((v) => 5 * v + 2),
        [2, 3, 4, 3],
      );
      for (let step = 0; step < 3; step++) tf.dispose(bn.forward(x, { training: true }));
      const out = [bn.runningMean.value, bn.runningVar.value].map((t) => Array.from(t.dataSync()));
      x.dispose();
      bn.dispose();
      return out;
    };
    const [fused, composed] = withAndWithout(backend, RUNNING_STATS, run);
    assert.deepEqual(fused, composed);
  });
}
