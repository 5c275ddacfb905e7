import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  assertClose,
  checkGradients,
  checkOnEachBackend,
  JS_BACKENDS,
  onEachBackend,
  spreadValues,
  useBackend,
  type InputSpec,
} from './grad-check.js';
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, setBatchStatisticsReducer } from './batch-norm-train.js';
import {
  addSameShape,
  batchNormTraining,
  channelAffine,
  concatParts,
  conv2dWithBias,
  depthwiseConv2d,
} from './index.js';

type T4 = tf.Tensor4D;
const f32 = (...shape: number[]): InputSpec => ({ shape });
const positive = (...shape: number[]): InputSpec => ({
  shape,
  values: spreadValues(tf.util.sizeFromShape(shape), 3).map((v) => v + 1.5),
});

/** The same batch norm from tfjs's own ops (moments, rsqrt), the reference for the fused one. */
function composedBatchNorm(x: tf.Tensor, scale?: tf.Tensor, offset?: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  const scaled = scale ? tf.mul(normalized, scale) : normalized;
  return offset ? tf.add(scaled, offset) : scaled;
}

/** batchNormTraining's output alone (its statistics disposed). */
function fusedBatchNorm(x: tf.Tensor, scale?: tf.Tensor, offset?: tf.Tensor): tf.Tensor {
  const r = batchNormTraining(x as T4, scale as tf.Tensor1D | undefined, offset as tf.Tensor1D | undefined, 1e-5);
  tf.dispose([r.mean, r.variance]);
  return r.y;
}

const cases: Array<{ name: string; inputs: InputSpec[]; f: (...xs: tf.Tensor[]) => tf.Tensor }> = [
  {
    name: 'batchNormTraining with scale and offset',
    inputs: [f32(2, 3, 3, 2), positive(2), f32(2)],
    f: (x, g, b) => fusedBatchNorm(x as tf.Tensor, g, b),
  },
  {
    name: 'batchNormTraining without affine parameters',
    inputs: [f32(3, 2, 2, 3)],
    f: (x) => fusedBatchNorm(x as tf.Tensor),
  },
  {
    name: 'batchNormTraining with scale only',
    inputs: [f32(2, 2, 3, 2), positive(2)],
    f: (x, g) => fusedBatchNorm(x as tf.Tensor, g),
  },
  // The wasm SIMD passes walk lanes of lcm(C, 4): one vector (C = 4), and 20 lanes with a partial last row (C = 5).
  {
    name: 'batchNormTraining with 4 channels',
    inputs: [f32(1, 3, 5, 4), positive(4), f32(4)],
    f: (x, g, b) => fusedBatchNorm(x as tf.Tensor, g, b),
  },
  {
    name: 'batchNormTraining with 5 channels and a partial last row of lanes',
    inputs: [f32(1, 3, 3, 5), positive(5)],
    f: (x, g) => fusedBatchNorm(x as tf.Tensor, g),
  },
  {
    name: 'channelAffine with per-channel scale and shift',
    inputs: [f32(2, 3, 3, 2), f32(2), f32(2)],
    f: (x, s, t) => channelAffine(x as tf.Tensor, s as tf.Tensor, t as tf.Tensor),
  },
  // 1x1 (the supernet's conv and BN in inference: our wasm product with a bias), 1x1 at stride 2, and 3x3 padded.
  {
    name: 'conv2dWithBias 1x1',
    inputs: [f32(2, 3, 3, 4), f32(1, 1, 4, 5), f32(5)],
    f: (x, w, b) => conv2dWithBias(x as T4, w as T4, b as tf.Tensor1D, 1, 0),
  },
  {
    name: 'conv2dWithBias 1x1 at stride 2',
    inputs: [f32(2, 4, 4, 3), f32(1, 1, 3, 2), f32(2)],
    f: (x, w, b) => conv2dWithBias(x as T4, w as T4, b as tf.Tensor1D, 2, 0),
  },
  {
    name: 'conv2dWithBias 3x3 padded',
    inputs: [f32(1, 4, 4, 2), f32(3, 3, 2, 3), f32(3)],
    f: (x, w, b) => conv2dWithBias(x as T4, w as T4, b as tf.Tensor1D, 1, 1),
  },
  {
    name: 'addSameShape, with an operand used twice',
    inputs: [f32(2, 3, 2), f32(2, 3, 2)],
    f: (a, b) => addSameShape(tf.mul(addSameShape(a as tf.Tensor, b as tf.Tensor), a as tf.Tensor), a as tf.Tensor),
  },
  {
    name: 'concatParts along channels and rows',
    inputs: [f32(1, 2, 2, 2), f32(1, 2, 2, 3), f32(1, 1, 2, 5)],
    f: (a, b, c) => concatParts([concatParts([a as T4, b as T4], 3), c as T4], 1),
  },
];

for (const c of cases) {
  test(c.name, async (t) => {
    await checkOnEachBackend(t, () => checkGradients(c.f, c.inputs));
  });
}

test('batchNormTraining equals the composed tfjs ops, forward and backward, on a larger batch', async () => {
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    const shape = [8, 6, 6, 5];
    const x = tf.tensor4d(
      spreadValues(tf.util.sizeFromShape(shape), 4).map((v) => 3 + 2 * v),
      shape as [number, number, number, number],
    );
    const g = tf.tensor1d([0.5, 1, 1.5, 2, -1]);
    const b = tf.tensor1d([0, 1, -1, 2, 0.5]);
    const w = tf.tensor(spreadValues(x.size, 5), shape);
    const loss = (f: typeof fusedBatchNorm) => (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
      tf.sum(tf.mul(f(xi, gi, bi), w));
    const fused = tf.grads(loss(fusedBatchNorm))([x, g, b]);
    const composed = tf.grads(loss(composedBatchNorm))([x, g, b]);
    fused.forEach((gr, i) =>
      assertClose(gr.dataSync(), composed[i]?.dataSync() ?? [], 1e-4, 1e-4, `${backend} gradient ${i}`),
    );
    const r = batchNormTraining(x, g, b, 1e-5);
    const m = tf.moments(x, [0, 1, 2]);
    assertClose(r.mean.dataSync(), m.mean.dataSync(), 1e-6, 1e-6, `${backend} mean`);
    assertClose(r.variance.dataSync(), m.variance.dataSync(), 1e-5, 1e-5, `${backend} variance`);
    tf.dispose([x, g, b, w, ...fused, ...composed, r.y, r.mean, r.variance, m.mean, m.variance]);
  }
});

/** The engine's batch-norm kernels run directly: forward outputs, then backward outputs for `dy`. */
function batchNormKernels(x: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, dy: tf.Tensor4D): Float32Array[] {
  const forward = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale: g, offset: b }, { eps: 1e-5 }) as tf.Tensor[];
  const [, centered, rstd] = forward as [tf.Tensor, tf.Tensor, tf.Tensor];
  const count = x.size / (x.shape[3] as number);
  const backward = tf
    .engine()
    .runKernel(BATCH_NORM_TRAIN_GRAD, { dy, centered, rstd, scale: g }, { count }) as tf.Tensor[];
  const out = [...forward, ...backward].map((t) => t.dataSync() as Float32Array);
  tf.dispose([...forward, ...backward]);
  return out;
}

test("wasm's SIMD batch-norm kernels match cpu's for every lane layout, over many blocks, off a large mean", async () => {
  // Channels 1..12 give lane periods 4, 4, 12, 4, 20, 12, 28, 8, 36, 20, 44, 12; 63 pixels leave partial rows.
  for (const channels of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 36]) {
    const shape: [number, number, number, number] = [3, 7, 3 * (channels % 2) + 3, channels];
    const size = tf.util.sizeFromShape(shape);
    const results = await onEachBackend(() => {
      const x = tf.tensor4d(
        spreadValues(size, 30 + channels).map((v) => 100 + 3 * v),
        shape,
      );
      const g = tf.tensor1d(spreadValues(channels, 31).map((v) => v + 1.5));
      const b = tf.tensor1d(spreadValues(channels, 32));
      const dy = tf.tensor4d(spreadValues(size, 33), shape);
      const outputs = batchNormKernels(x, g, b, dy);
      tf.dispose([x, g, b, dy]);
      return outputs;
    });
    const names = ['y', 'centered', 'rstd', 'mean', 'variance', 'dx', 'dscale', 'doffset'];
    results.wasm.forEach((values, i) =>
      assertClose(values, results.cpu[i] ?? [], 1e-5, 1e-5, `${names[i]} with ${channels} channels`),
    );
  }
});

test("wasm batch norm over two engine threads' halves (one meeting) gives the whole batch's statistics", async () => {
  await useBackend('wasm');
  for (const channels of [3, 8]) {
    const shape: [number, number, number, number] = [6, 5, 4, channels];
    const half: [number, number, number, number] = [3, 5, 4, channels];
    // A large mean, different in the two halves, so that a careless combination would show.
    const values = spreadValues(tf.util.sizeFromShape(shape), 40 + channels).map(
      (v, i) => 50 + 3 * v + (i < 60 * channels ? 2 : 0),
    );
    const run = (x: tf.Tensor4D): Float32Array[] =>
      tf.tidy(() => {
        const r = batchNormTraining(x, tf.tensor1d(spreadValues(channels, 41).map((v) => v + 1.5)), undefined, 1e-5);
        return [r.y, r.mean, r.variance].map((t) => t.dataSync() as Float32Array);
      });
    const whole = tf.tidy(() => run(tf.tensor4d(values, shape)));
    const halves = [0, 1].map((k) => values.slice((k * values.length) / 2, ((k + 1) * values.length) / 2));
    // The second thread's contribution to the one meeting, recorded first (it depends on its own half only).
    let recorded: Float64Array | undefined;
    setBatchStatisticsReducer({ allReduce: (v) => ((recorded = Float64Array.from(v)), v), batchPerLocal: 2 });
    try {
      tf.tidy(() => run(tf.tensor4d(halves[1] as Float32Array, half)));
      let meetings = 0;
      setBatchStatisticsReducer({
        allReduce: (v) => {
          meetings++;
          return v.map((a, i) => a + (recorded?.[i] ?? NaN));
        },
        batchPerLocal: 2,
      });
      const [y, mean, variance] = tf.tidy(() => run(tf.tensor4d(halves[0] as Float32Array, half)));
      assert.equal(meetings, 1, 'one meeting per forward pass');
      assertClose(mean ?? [], whole[1] ?? [], 1e-5, 1e-6, `mean, ${channels} channels`);
      assertClose(variance ?? [], whole[2] ?? [], 1e-5, 1e-5, `variance, ${channels} channels`);
      assertClose(
        y ?? [],
        (whole[0] ?? new Float32Array()).slice(0, (y ?? []).length),
        1e-5,
        1e-5,
        'y of the first half',
      );
    } finally {
      setBatchStatisticsReducer(undefined);
    }
  }
});

test('batchNormTraining leaves no tensor behind once its gradient is taken', async () => {
  await useBackend('wasm');
  const x = tf.tensor4d(spreadValues(2 * 3 * 3 * 2, 6), [2, 3, 3, 2]);
  const before = tf.memory().numTensors;
  const value = tf.grad((xi: tf.Tensor) => tf.sum(tf.square(fusedBatchNorm(xi))))(x);
  value.dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('addSameShape rejects broadcasting', () => {
  assert.throws(() => addSameShape(tf.zeros([2, 3]), tf.zeros([3])), /shapes \[2, 3\] and \[3\] differ/);
});

test('channelAffine without the engine kernel (a backend it was not registered on) is the same multiply and add', async () => {
  await useBackend('cpu');
  const x = tf.tensor4d(spreadValues(2 * 2 * 2 * 3, 14), [2, 2, 2, 3]);
  const [scale, shift] = [tf.tensor1d([0.5, -2, 3]), tf.tensor1d([1, 0, -1])];
  const run = (): number[][] => {
    const { value, grads } = tf
      .engine()
      .gradients(() => tf.sum(tf.square(channelAffine(x, scale, shift))), [x, scale, shift]);
    const out = [value, ...grads].map((t) => Array.from(t.dataSync()));
    tf.dispose([value, ...grads]);
    return out;
  };
  const withKernel = run();
  const kernel = tf.getKernel('EngineChannelAffine', 'cpu');
  assert.ok(kernel, 'the engine registers its channel-affine kernel');
  tf.unregisterKernel('EngineChannelAffine', 'cpu');
  try {
    run().forEach((values, i) => assertClose(values, withKernel[i] ?? [], 1e-6, 1e-6, `output ${i}`));
  } finally {
    tf.registerKernel(kernel);
  }
  tf.dispose([x, scale, shift]);
});

test("wasm's one-pass channelAffine gives the composed multiply and add's values on every lane layout", async () => {
  // Channels 1..6 and 36 (lane periods 4, 4, 12, 4, 20, 12, 36), parameters as [C] and [1, 1, 1, C], and a
  // broadcast it leaves to the composed kernel (a scalar-like [1] scale).
  const cases: Array<[number[], number[]]> = [
    ...[1, 2, 3, 4, 5, 6, 36].map((c): [number[], number[]] => [[2, 3, 5, c], [c]]),
    [
      [2, 3, 3, 6],
      [1, 1, 1, 6],
    ],
    [[2, 3, 3, 6], [1]],
  ];
  for (const [shape, paramShape] of cases) {
    const size = (s: number[]): number => tf.util.sizeFromShape(s);
    const results = await onEachBackend(() =>
      tf.tidy(() => {
        const x = tf.tensor(spreadValues(size(shape), 15), shape);
        const scale = tf.tensor(
          spreadValues(size(paramShape), 16).map((v) => 3 * v),
          paramShape,
        );
        const shift = tf.tensor(spreadValues(size(paramShape), 17), paramShape);
        return Array.from(channelAffine(x, scale, shift).dataSync());
      }),
    );
    assert.deepEqual(results.wasm, results.cpu, `x [${shape}], parameters [${paramShape}]`);
  }
});

test('batchNormTraining without the engine kernels (a backend they are not registered on) gives the same values', async () => {
  await useBackend('cpu');
  const x = tf.tensor4d(
    spreadValues(3 * 2 * 2 * 4, 15).map((v) => 2 + v),
    [3, 2, 2, 4],
  );
  const [g, b] = [tf.tensor1d([0.5, -2, 3, 1]), tf.tensor1d([1, 0, -1, 2])];
  // A weighted sum: the gradient of a plain sum of squares of a batch norm is zero up to rounding.
  const weights = tf.tensor4d(spreadValues(x.size, 16), x.shape);
  const run = (): number[][] => {
    const { value, grads } = tf.engine().gradients(() => tf.sum(tf.mul(fusedBatchNorm(x, g, b), weights)), [x, g, b]);
    const out = [value, ...grads].map((t) => Array.from(t.dataSync()));
    tf.dispose([value, ...grads]);
    return out;
  };
  const withKernels = run();
  const kernels = [BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD].map((name) => tf.getKernel(name, 'cpu'));
  assert.ok(kernels.every(Boolean), 'the engine registers its batch-norm kernels');
  for (const k of kernels) if (k) tf.unregisterKernel(k.kernelName, 'cpu');
  try {
    run().forEach((values, i) => assertClose(values, withKernels[i] ?? [], 1e-5, 1e-5, `output ${i}`));
  } finally {
    for (const k of kernels) if (k) tf.registerKernel(k);
  }
  tf.dispose([x, g, b, weights]);
});

/** Which of `names` a function runs on the active backend (their kernels wrapped while it runs), its result disposed. */
function kernelsRun(names: string[], f: () => tf.TensorContainer): Set<string> {
  const backendName = tf.getBackend();
  const ran = new Set<string>();
  const originals = names.flatMap((name) => tf.getKernel(name, backendName) ?? []);
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        ran.add(config.kernelName);
        return config.kernelFunc(args);
      },
    });
  }
  try {
    tf.dispose(f());
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  return ran;
}

test("conv2dWithBias has tf.fused.conv2d's output and gradients, bit for bit, and an x gradient runs no filter or bias gradient", async () => {
  for (const [strides, pad, k] of [
    [1, 0, 1],
    [2, 0, 1],
    [1, 1, 3],
  ] as const) {
    const results = await onEachBackend(() => {
      const x = tf.tensor4d(spreadValues(2 * 6 * 6 * 8, 41), [2, 6, 6, 8]);
      const w = tf.tensor4d(spreadValues(k * k * 8 * 12, 42), [k, k, 8, 12]);
      const b = tf.tensor1d(spreadValues(12, 43));
      const dy = tf.tensor(spreadValues(2 * 6 * 6 * 12, 44).slice(0, 2 * (6 / strides) ** 2 * 12));
      const weigh = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, tf.reshape(dy, y.shape)));
      const ours = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Scalar =>
        weigh(conv2dWithBias(xi as T4, wi as T4, bi as tf.Tensor1D, strides, pad));
      const theirs = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Scalar =>
        weigh(tf.fused.conv2d({ x: xi as T4, filter: wi as T4, bias: bi, strides, pad }));
      const read = (ts: tf.Tensor[]): Float32Array[] => ts.map((t) => t.dataSync() as Float32Array);
      const [yOurs, yTheirs] = [
        tf.tidy(() => conv2dWithBias(x, w, b, strides, pad)),
        tf.tidy(() => tf.fused.conv2d({ x, filter: w, bias: b, strides, pad })),
      ];
      const all = [tf.grads(ours)([x, w, b]), tf.grads(theirs)([x, w, b])];
      const onlyX = tf.grad((xi: tf.Tensor) => ours(xi, w, b))(x);
      const watched = ['Conv2DBackpropFilter', 'Sum'];
      // dy given, so that no Sum of the loss runs: any Sum would be a bias gradient.
      const seed = tf.reshape(dy, yOurs.shape);
      const kernels = kernelsRun(watched, () =>
        tf.grad((xi: tf.Tensor) => conv2dWithBias(xi as T4, w, b, strides, pad))(x, seed),
      );
      const kernelsBefore = kernelsRun(watched, () =>
        tf.grad((xi: tf.Tensor) => tf.fused.conv2d({ x: xi as T4, filter: w, bias: b, strides, pad }))(x, seed),
      );
      const out = {
        y: read([yOurs, yTheirs]),
        grads: all.map(read),
        onlyX: read([onlyX])[0] as Float32Array,
        kernels,
        kernelsBefore,
      };
      tf.dispose([x, w, b, dy, seed, yOurs, yTheirs, ...all.flat(), onlyX]);
      return out;
    });
    for (const [backend, r] of Object.entries(results)) {
      const where = `${backend}, ${k}x${k} stride ${strides}`;
      assert.deepEqual(r.y[0], r.y[1], `${where}: output`);
      ['x', 'filter', 'bias'].forEach((name, i) =>
        assert.deepEqual(r.grads[0]?.[i], r.grads[1]?.[i], `${where}: ${name} gradient`),
      );
      assert.deepEqual(r.onlyX, r.grads[0]?.[0], `${where}: x gradient alone`);
      assert.ok(r.kernelsBefore.has('Conv2DBackpropFilter'), `${where}: tf.fused.conv2d computed the filter gradient`);
      assert.ok(r.kernelsBefore.has('Sum'), `${where}: tf.fused.conv2d computed the bias gradient`);
      assert.ok(!r.kernels.has('Conv2DBackpropFilter'), `${where}: filter gradient computed for an x gradient`);
      assert.ok(!r.kernels.has('Sum'), `${where}: bias gradient computed for an x gradient`);
    }
  }
});

test('a dilated depthwise convolution computes its filter gradient only when asked, with the same bits', async () => {
  const results = await onEachBackend(() => {
    const x = tf.tensor4d(spreadValues(2 * 7 * 7 * 4, 51), [2, 7, 7, 4]);
    const w = tf.tensor4d(spreadValues(3 * 3 * 4, 52), [3, 3, 4, 1]);
    const f = (xi: tf.Tensor, wi: tf.Tensor): tf.Scalar =>
      tf.sum(tf.square(depthwiseConv2d(xi as T4, wi as T4, 1, 2, 2)));
    const both = tf.grads(f)([x, w]);
    const onlyX = tf.grad((xi: tf.Tensor) => f(xi, w))(x);
    const onlyW = tf.grad((wi: tf.Tensor) => f(x, wi))(w);
    const watched = ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'];
    const xKernels = kernelsRun(watched, () => tf.grad((xi: tf.Tensor) => f(xi, w))(x));
    const wKernels = kernelsRun(watched, () => tf.grad((wi: tf.Tensor) => f(x, wi))(w));
    const out = {
      both: both.map((t) => t.dataSync()),
      onlyX: onlyX.dataSync(),
      onlyW: onlyW.dataSync(),
      xKernels,
      wKernels,
    };
    tf.dispose([x, w, ...both, onlyX, onlyW]);
    return out;
  });
  for (const [backend, r] of Object.entries(results)) {
    assert.deepEqual(r.onlyX, r.both[0], `${backend}: x gradient alone`);
    assert.deepEqual(r.onlyW, r.both[1], `${backend}: filter gradient alone`);
    if (backend === 'wasm') {
      // Our wasm backprop kernels (elsewhere the gradients are composed of forward convolutions).
      assert.ok(!r.xKernels.has('DepthwiseConv2dNativeBackpropFilter'), 'filter gradient computed for an x gradient');
      assert.ok(!r.wKernels.has('DepthwiseConv2dNativeBackpropInput'), 'x gradient computed for a filter gradient');
      assert.ok(r.wKernels.has('DepthwiseConv2dNativeBackpropFilter'), 'no filter gradient kernel for the filter');
    }
  }
});
