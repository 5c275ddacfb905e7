import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { OPS } from '@lrnas/schema';
import { opParamCount } from './cost.js';
import { depthwiseConv2d } from './depthwise.js';
import { dropPath } from './drop-path.js';
import { FactorizedReduce, Identity, OP_FACTORIES, Zero, createOp } from './ops.js';
import { assertClose, seededRandom, useBackend } from './test-util.js';

type Shape4 = [number, number, number, number];

/** Plain-JS NHWC reference of a k x k pooling window with symmetric zero padding. */
function refPool(x: Float32Array, [n, h, w, c]: Shape4, k: number, s: number, p: number, kind: 'avg' | 'max') {
  const ho = Math.floor((h + 2 * p - k) / s) + 1;
  const wo = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          const inside: number[] = [];
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) {
              const r = i * s - p + di;
              const q = j * s - p + dj;
              if (r >= 0 && r < h && q >= 0 && q < w) inside.push(x[((b * h + r) * w + q) * c + ch] as number);
            }
          out.push(kind === 'max' ? Math.max(...inside) : inside.reduce((a, v) => a + v, 0) / inside.length);
        }
  return { values: out, shape: [n, ho, wo, c] };
}

/** Plain-JS reference of a depthwise convolution (filter [k, k, C, 1]). */
function refDepthwise(
  x: Float32Array,
  [n, h, w, c]: Shape4,
  f: Float32Array,
  k: number,
  s: number,
  p: number,
  d: number,
) {
  const span = d * (k - 1) + 1;
  const ho = Math.floor((h + 2 * p - span) / s) + 1;
  const wo = Math.floor((w + 2 * p - span) / s) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let di = 0; di < k; di++)
            for (let dj = 0; dj < k; dj++) {
              const r = i * s - p + di * d;
              const q = j * s - p + dj * d;
              if (r >= 0 && r < h && q >= 0 && q < w) {
                acc += (x[((b * h + r) * w + q) * c + ch] as number) * (f[(di * k + dj) * c + ch] as number);
              }
            }
          out.push(acc);
        }
  return { values: out, shape: [n, ho, wo, c] };
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] avg_pool_3x3 excludes the padding from the count (stride 1 and 2, odd and even sizes)`, async () => {
    await useBackend(backend);
    const ones = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const pooled = createOp('avg_pool_3x3', 1, 1).forward(ones, { training: false });
    // Counting the padding would give 4/9 in the corners and 6/9 on the edges.
    assert.ok(Array.from(pooled.dataSync()).every((v) => Math.abs(v - 1) < 1e-6));
    tf.dispose([ones, pooled]);
    for (const shape of [
      [2, 5, 5, 3],
      [1, 6, 4, 2],
      [1, 7, 8, 1],
    ] as Shape4[]) {
      for (const stride of [1, 2] as const) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 11) as tf.Tensor4D;
        const y = createOp('avg_pool_3x3', shape[3], stride).forward(x, { training: false });
        const ref = refPool(x.dataSync() as Float32Array, shape, 3, stride, 1, 'avg');
        assert.deepEqual(y.shape, ref.shape);
        assertClose(y.dataSync(), ref.values, 1e-5, `avg ${shape} s${stride}`);
        tf.dispose([x, y]);
      }
    }
  });

  test(`[${backend}] max_pool_3x3 pads with -infinity, not zeros`, async () => {
    await useBackend(backend);
    for (const stride of [1, 2] as const) {
      const shape: Shape4 = [1, 5, 6, 2];
      const x = tf.tidy(() => tf.sub(tf.randomUniform(shape, 0, 1, 'float32', 3), 2)) as tf.Tensor4D; // all negative
      const y = createOp('max_pool_3x3', 2, stride).forward(x, { training: false });
      const ref = refPool(x.dataSync() as Float32Array, shape, 3, stride, 1, 'max');
      assert.deepEqual(y.shape, ref.shape);
      assertClose(y.dataSync(), ref.values, 1e-6, `max s${stride}`);
      tf.dispose([x, y]);
    }
  });

  test(`[${backend}] depthwise conv (strides 1, 2; dilation 1, 2) matches a direct convolution`, async () => {
    await useBackend(backend);
    for (const [k, p, d] of [
      [3, 1, 1],
      [5, 2, 1],
      [3, 2, 2],
      [5, 4, 2],
    ] as const) {
      for (const s of [1, 2] as const) {
        for (const shape of [
          [2, 7, 7, 3],
          [1, 8, 6, 2],
        ] as Shape4[]) {
          const x = tf.randomNormal(shape, 0, 1, 'float32', 21) as tf.Tensor4D;
          const f = tf.randomNormal([k, k, shape[3], 1], 0, 1, 'float32', 22) as tf.Tensor4D;
          const y = depthwiseConv2d(x, f, s, p, d);
          const ref = refDepthwise(x.dataSync() as Float32Array, shape, f.dataSync() as Float32Array, k, s, p, d);
          assert.deepEqual(y.shape, ref.shape, `k${k} d${d} s${s} ${shape}`);
          assertClose(y.dataSync(), ref.values, 1e-4, `k${k} d${d} s${s} ${shape}`);
          tf.dispose([x, f, y]);
        }
      }
    }
  });

  test(`[${backend}] every operation keeps the size at stride 1 and gives ceil(H/2) x ceil(W/2) at stride 2`, async () => {
    await useBackend(backend);
    for (const [h, w] of [
      [8, 8],
      [7, 7],
      [6, 5],
    ] as const) {
      const x = tf.randomNormal([2, h, w, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      for (const name of OPS) {
        for (const stride of [1, 2] as const) {
          const op = createOp(name, 4, stride).initialize(1);
          const before = tf.memory().numTensors;
          const y = op.forward(x, { training: true });
          const expected = stride === 1 ? [2, h, w, 4] : [2, Math.ceil(h / 2), Math.ceil(w / 2), 4];
          assert.deepEqual(y.shape, expected, `${name} stride ${stride} on ${h}x${w}`);
          assert.ok(Array.from(y.dataSync()).every(Number.isFinite), `${name} gives finite values`);
          if (y !== x) y.dispose();
          assert.equal(tf.memory().numTensors, before, `${name} stride ${stride} leaks no tensors`);
          op.dispose();
        }
      }
      x.dispose();
    }
  });
}

test('the gradient of avg_pool_3x3 also divides by the count of real pixels', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const [h, w] = [5, 4];
    const op = createOp('avg_pool_3x3', 1, 2);
    const x = tf.ones([1, h, w, 1]) as tf.Tensor4D;
    const g = tf.grad((v: tf.Tensor) => tf.sum(op.forward(v as tf.Tensor4D, { training: false })))(x);
    // d sum / d x[r][q] = sum over the windows that contain (r, q) of 1 / (real pixels in the window).
    const expected = new Array<number>(h * w).fill(0);
    for (let i = 0; i < Math.ceil(h / 2); i++)
      for (let j = 0; j < Math.ceil(w / 2); j++) {
        const rows = [2 * i - 1, 2 * i, 2 * i + 1].filter((r) => r >= 0 && r < h);
        const cols = [2 * j - 1, 2 * j, 2 * j + 1].filter((q) => q >= 0 && q < w);
        for (const r of rows)
          for (const q of cols) expected[r * w + q] = (expected[r * w + q] ?? 0) + 1 / (rows.length * cols.length);
      }
    assertClose(g.dataSync(), expected, 1e-5, `${backend} gradient`);
    tf.dispose([x, g]);
  }
});

/** d sum(w * maxpool(x)) / dx by hand: each window's weight goes to its largest real pixel. */
function refMaxPoolGrad(x: Float32Array, w: Float32Array, [n, h, wd, c]: Shape4, s: number): Float32Array {
  const [ho, wo] = [Math.floor((h - 1) / s) + 1, Math.floor((wd - 1) / s) + 1];
  const grad = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < c; ch++) {
          let [best, at] = [-Infinity, -1];
          for (let r = i * s - 1; r <= i * s + 1; r++)
            for (let q = j * s - 1; q <= j * s + 1; q++) {
              const k = ((b * h + r) * wd + q) * c + ch;
              if (r >= 0 && r < h && q >= 0 && q < wd && (x[k] as number) > best) [best, at] = [x[k] as number, k];
            }
          grad[at] = (grad[at] as number) + (w[((b * ho + i) * wo + j) * c + ch] as number);
        }
  return grad;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`[${backend}] the gradient of max_pool_3x3 goes to each window's largest pixel, negative values included`, async () => {
    await useBackend(backend);
    for (const s of [1, 2] as const) {
      const shape: Shape4 = [2, 6, 5, 3];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 3) as tf.Tensor4D;
      const op = createOp('max_pool_3x3', 3, s);
      const w = tf.tidy(() => tf.randomNormal(op.forward(x, { training: false }).shape, 0, 1, 'float32', 4));
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op.forward(v as tf.Tensor4D, { training: false }), w)))(x);
      const expected = refMaxPoolGrad(x.dataSync() as Float32Array, w.dataSync() as Float32Array, shape, s);
      assertClose(g.dataSync(), expected, 1e-5, `stride ${s}`);
      tf.dispose([x, w, g]);
    }
  });
}

test('FactorizedReduce: path 1 reads the even pixels, path 2 the odd ones, zero past an odd edge', async () => {
  await useBackend('cpu');
  for (const [h, w] of [
    [6, 6],
    [5, 7],
    [1, 1],
  ] as const) {
    const fr = new FactorizedReduce(2, 4).initialize(0);
    const eye = tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
    // Identity 1x1 convs and a BN that passes values through (inference, mean 0, var 1 - eps).
    fr.loadState({
      'conv_1.weight': eye,
      'conv_2.weight': eye,
      'bn.weight': tf.ones([4]),
      'bn.bias': tf.zeros([4]),
      'bn.running_mean': tf.zeros([4]),
      'bn.running_var': tf.fill([4], 1 - 1e-5),
    });
    const shape: Shape4 = [1, h, w, 2];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 9) as tf.Tensor4D;
    const y = fr.forward(x, { training: false });
    const [ho, wo] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    assert.deepEqual(y.shape, [1, ho, wo, 4]);
    const xv = x.dataSync();
    const at = (r: number, q: number, c: number) =>
      r < h && q < w ? Math.max(0, xv[(r * w + q) * 2 + c] as number) : 0;
    const expected: number[] = [];
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        expected.push(
          at(2 * i, 2 * j, 0),
          at(2 * i, 2 * j, 1),
          at(2 * i + 1, 2 * j + 1, 0),
          at(2 * i + 1, 2 * j + 1, 1),
        );
    assertClose(y.dataSync(), expected, 1e-5, `FR ${h}x${w}`);
    tf.dispose([eye, x, y]);
    fr.dispose();
  }
  assert.throws(() => new FactorizedReduce(4, 5), /even number of output channels/);
});

test('operations have the parameters the reference counts, affine or not', () => {
  for (const name of OPS) {
    for (const stride of [1, 2] as const) {
      for (const affine of [true, false]) {
        const op = OP_FACTORIES[name](6, stride, affine).initialize(0);
        const built = op.parameters().reduce((n, v) => n + v.size, 0);
        assert.equal(built, opParamCount(name, 6, stride, affine), `${name} stride ${stride} affine ${affine}`);
        op.dispose();
      }
    }
  }
  // Independently known sizes at C = 16: sep_conv_3x3 = 2 * (9*16 + 16*16 + 2*16), dil_conv_5x5 = 25*16 + 16*16 + 2*16.
  assert.equal(opParamCount('sep_conv_3x3', 16, 1), 864);
  assert.equal(opParamCount('dil_conv_5x5', 16, 1), 688);
  assert.equal(opParamCount('skip_connect', 16, 2), 16 * 8 * 2 + 32);
});

test('none gives zeros, skip_connect at stride 1 is the identity (the same tensor)', async () => {
  await useBackend('cpu');
  const x = tf.randomNormal([2, 5, 5, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const zero = new Zero(2).forward(x);
  assert.deepEqual(zero.shape, [2, 3, 3, 3]);
  assert.ok(Array.from(zero.dataSync()).every((v) => v === 0));
  const skip = createOp('skip_connect', 3, 1);
  assert.equal(skip.forward(x, { training: true }), x);
  assert.ok(skip instanceof Identity);
  tf.dispose([x, zero]);
});

test('drop-path zeroes the dropped samples and scales the kept ones by 1/(1-p)', async () => {
  await useBackend('cpu');
  const x = tf.ones([6, 2, 2, 3]) as tf.Tensor4D;
  assert.equal(dropPath(x, 0), x);
  const draws = [0.1, 0.9, 0.5, 0.69, 0.71, 0.0];
  let i = 0;
  const y = dropPath(x, 0.3, () => draws[i++] as number);
  const perSample = Array.from(tf.tidy(() => tf.mean(y, [1, 2, 3])).dataSync());
  // Kept when the draw is below 1 - p = 0.7.
  assertClose(
    perSample,
    draws.map((r) => (r < 0.7 ? 1 / 0.7 : 0)),
    1e-6,
    'per-sample scale',
  );
  // On average it preserves the expectation.
  const big = tf.ones([4000, 1, 1, 1]) as tf.Tensor4D;
  const dropped = dropPath(big, 0.25, seededRandom(1));
  const m = tf.mean(dropped).dataSync()[0] as number;
  assert.ok(Math.abs(m - 1) < 0.05, `mean ${m}`);
  assert.throws(() => dropPath(x, 1), /probability must be in \[0, 1\)/);
  tf.dispose([x, y, big, dropped]);
});
