import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  JS_BACKENDS,
  assertClose,
  assertSameResult,
  checkGradients,
  spreadValues,
  useBackend,
  type GradResult,
} from './grad-check.js';
import { avgPool3x3ExcludePad } from './index.js';

/** Direct 3x3, padding 1 pooling of one NHWC image: mean over in-bounds cells only, or max. */
function reference(
  x: Float32Array,
  h: number,
  w: number,
  c: number,
  stride: number,
  kind: 'avg' | 'max',
): Float64Array {
  const out = (n: number): number => Math.floor((n + 2 - 3) / stride) + 1;
  const [ho, wo] = [out(h), out(w)];
  const y = new Float64Array(ho * wo * c);
  for (let i = 0; i < ho; i++)
    for (let j = 0; j < wo; j++)
      for (let ch = 0; ch < c; ch++) {
        const cells: number[] = [];
        for (let r = i * stride - 1; r < i * stride + 2; r++)
          for (let q = j * stride - 1; q < j * stride + 2; q++)
            if (r >= 0 && q >= 0 && r < h && q < w) cells.push(x[(r * w + q) * c + ch] as number);
        y[(i * wo + j) * c + ch] =
          kind === 'max' ? Math.max(...cells) : cells.reduce((a, b) => a + b, 0) / cells.length;
      }
  return y;
}

const pools = {
  avgPool3x3ExcludePad: { kind: 'avg', f: (x: tf.Tensor, s: 1 | 2) => avgPool3x3ExcludePad(x as tf.Tensor4D, s) },
  'tf.avgPool (pad 1)': { kind: 'avg', f: (x: tf.Tensor, s: 1 | 2) => tf.avgPool(x as tf.Tensor4D, 3, s, 1) },
  'tf.maxPool (pad 1)': { kind: 'max', f: (x: tf.Tensor, s: 1 | 2) => tf.maxPool(x as tf.Tensor4D, 3, s, 1) },
} as const;

for (const [name, pool] of Object.entries(pools)) {
  for (const stride of [1, 2] as const) {
    for (const size of [5, 6]) {
      test(`${name} 3x3 stride ${stride} on ${size}x${size}: forward, gradient, backends`, async (t) => {
        const results: Record<string, GradResult> = {};
        for (const backend of JS_BACKENDS) {
          await t.test(backend, async () => {
            await useBackend(backend);
            const result = checkGradients((x) => pool.f(x, stride), [{ shape: [1, size, size, 2] }]);
            const expected = reference(spreadValues(size * size * 2, 7), size, size, 2, stride, pool.kind);
            assertClose(result.output, expected, 1e-6, 1e-5, 'forward');
            results[backend] = result;
          });
        }
        await t.test('wasm agrees with cpu', () => {
          assert.ok(results.cpu && results.wasm);
          assertSameResult(results.wasm, results.cpu);
        });
      });
    }
  }
}

test("tf.avgPool gradient with 'same' padding and a 2x3 window matches finite differences", async () => {
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    checkGradients((x) => tf.avgPool(x as tf.Tensor4D, [2, 3], 2, 'same'), [{ shape: [1, 5, 4, 2] }]);
  }
});
