import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  JS_BACKENDS,
  assertClose,
  checkGradients,
  checkOnEachBackend,
  spreadValues,
  useBackend,
} from './grad-check.js';
import { avgPoolExcludePad } from './index.js';

/** A pooling window: size, stride and zero padding on every side. */
interface Window {
  k: [number, number];
  s: [number, number];
  p: number;
}

/** Direct pooling of one NHWC image: mean over the window's in-bounds cells only, or their max. */
function reference(x: Float32Array, h: number, w: number, c: number, win: Window, kind: 'avg' | 'max'): Float64Array {
  const [kh, kw] = win.k;
  const [sh, sw] = win.s;
  const ho = Math.floor((h + 2 * win.p - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * win.p - kw) / sw) + 1;
  const y = new Float64Array(ho * wo * c);
  for (let i = 0; i < ho; i++)
    for (let j = 0; j < wo; j++)
      for (let ch = 0; ch < c; ch++) {
        const cells: number[] = [];
        for (let r = i * sh - win.p; r < i * sh - win.p + kh; r++)
          for (let q = j * sw - win.p; q < j * sw - win.p + kw; q++)
            if (r >= 0 && q >= 0 && r < h && q < w) cells.push(x[(r * w + q) * c + ch] as number);
        y[(i * wo + j) * c + ch] =
          kind === 'max' ? Math.max(...cells) : cells.reduce((a, b) => a + b, 0) / cells.length;
      }
  return y;
}

type Pool = (x: tf.Tensor4D, win: Window) => tf.Tensor4D;

const pools: Record<string, { kind: 'avg' | 'max'; f: Pool; windows: Window[] }> = {
  avgPoolExcludePad: {
    kind: 'avg',
    f: (x, win) => avgPoolExcludePad(x, win.k, win.s, win.p),
    windows: [
      { k: [3, 3], s: [1, 1], p: 1 },
      { k: [3, 3], s: [2, 2], p: 1 },
      // The auxiliary head's pool, an uneven window and an even one whose padding reaches half of it.
      { k: [5, 5], s: [3, 3], p: 0 },
      { k: [2, 3], s: [1, 2], p: 1 },
      { k: [2, 2], s: [2, 2], p: 1 },
    ],
  },
  'tf.avgPool': {
    kind: 'avg',
    f: (x, win) => tf.avgPool(x, win.k, win.s, win.p),
    windows: [
      { k: [3, 3], s: [1, 1], p: 1 },
      { k: [3, 3], s: [2, 2], p: 1 },
    ],
  },
  'tf.maxPool': {
    kind: 'max',
    f: (x, win) => tf.maxPool(x, win.k, win.s, win.p),
    windows: [
      { k: [3, 3], s: [1, 1], p: 1 },
      { k: [3, 3], s: [2, 2], p: 1 },
    ],
  },
};

for (const [name, pool] of Object.entries(pools)) {
  for (const win of pool.windows) {
    // 3 and 4 channels too for avgPoolExcludePad: the wasm SIMD kernels' scalar and vector paths.
    for (const [size, channels] of [
      [5, 2],
      [6, 2],
      ...(name === 'avgPoolExcludePad'
        ? [
            [5, 3],
            [6, 4],
          ]
        : []),
    ] as Array<[number, number]>) {
      const label = `${win.k.join('x')} stride ${win.s.join(',')} pad ${win.p} on ${size}x${size}x${channels}`;
      test(`${name} ${label}: forward, gradient, backends`, async (t) => {
        await checkOnEachBackend(t, () => {
          const shape = [1, size, size, channels];
          const result = checkGradients((x) => pool.f(x as tf.Tensor4D, win), [{ shape }]);
          const x = spreadValues(size * size * channels, 7);
          const expected = reference(x, size, size, channels, win, pool.kind);
          assertClose(result.output, expected, 1e-6, 1e-5, 'forward');
          return result;
        });
      });
    }
  }
}

test('avgPoolExcludePad rejects padding beyond half the window and non-NHWC input', () => {
  const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
  const rank3: tf.Tensor = tf.zeros([4, 4, 1]);
  assert.throws(
    () => avgPoolExcludePad(x, 3, 1, 2),
    /pad must be an integer in \[0, kernel \/ 2\], got 2 for kernel 3x3/,
  );
  assert.throws(() => avgPoolExcludePad(x, [3, 2], 1, 1.5), /got 1.5/);
  assert.throws(() => avgPoolExcludePad(rank3 as tf.Tensor4D, 3, 1, 1), /rank 4 \(NHWC\), got shape \[4, 4, 1\]/);
  tf.dispose([x, rank3]);
});

test("tf.avgPool gradient with 'same' padding and a 2x3 window matches finite differences", async () => {
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    checkGradients((x) => tf.avgPool(x as tf.Tensor4D, [2, 3], 2, 'same'), [{ shape: [1, 5, 4, 2] }]);
  }
});

// Batches of several images: the wasm position scaling's SIMD pass over whole periods and its value-by-value tail
// (5 planes of 5x5x3 values: one period of 300 values, then 75 alone; 4 images of 4x4x4 fill whole vectors).
for (const shape of [
  [5, 5, 5, 3],
  [4, 4, 4, 4],
  [2, 6, 6, 2],
] as Array<[number, number, number, number]>) {
  test(`avgPoolExcludePad 3x3 stride 1 pad 1 on a batch [${shape.join(', ')}]: each image as alone, gradient, backends`, async (t) => {
    await checkOnEachBackend(t, () => {
      const result = checkGradients((x) => avgPoolExcludePad(x as tf.Tensor4D, 3, 1, 1), [{ shape }]);
      const [n, size, , channels] = shape;
      const x = spreadValues(n * size * size * channels, 7);
      const image = size * size * channels;
      for (let i = 0; i < n; i++) {
        const expected = reference(
          x.subarray(i * image, (i + 1) * image),
          size,
          size,
          channels,
          { k: [3, 3], s: [1, 1], p: 1 },
          'avg',
        );
        assertClose(result.output.subarray(i * image, (i + 1) * image), expected, 1e-6, 1e-5, `image ${i}`);
      }
      return result;
    });
  });
}
