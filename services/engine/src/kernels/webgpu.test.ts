// The engine's kernels and gradients on the webgpu backend, over whatever adapter this machine has (lavapipe in
// CI: Mesa's Vulkan on the CPU, slow, so the tensors are tiny), against the cpu backend and finite differences.
// Every read is asynchronous: webgpu in Node has no synchronous read.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../backend.js';
import { Rng } from '../random.js';
import {
  avgPoolExcludePad,
  batchNormTraining,
  channelAffine,
  depthwiseConv2d,
  reluGrad,
  RUNNING_STATS,
  SGD_STEP,
  weightedSum,
} from './index.js';
import { registerMissingKernels } from './index.js';

before(async () => {
  const info = await initBackend('webgpu');
  assert.equal(info.tfBackend, 'webgpu');
  assert.ok(info.adapter, 'the webgpu backend reports its adapter');
});

/** Runs `f` on `backend` (cpu or webgpu) and reads its outputs asynchronously; disposes everything it made. */
async function on(backend: 'cpu' | 'webgpu', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  registerMissingKernels(backend);
  const outs = f();
  try {
    return await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  } finally {
    tf.dispose(outs);
    await tf.setBackend('webgpu');
  }
}

function random(shape: number[], seed: number, scale = 1): { values: Float32Array; shape: number[] } {
  const rng = new Rng(seed);
  const values = Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () => (rng.nextFloat() * 2 - 1) * scale);
  return { values, shape };
}
const t = (a: { values: Float32Array; shape: number[] }): tf.Tensor => tf.tensor(a.values, a.shape);

function close(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: webgpu ${a}, cpu ${e} (tol ${tol})`);
  }
}

/** The same computation on webgpu and cpu agrees within `tol`, output by output. */
async function agrees(what: string, f: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const [gpu, cpu] = [await on('webgpu', f), await on('cpu', f)];
  gpu.forEach((g, i) => close(g, cpu[i] as Float32Array, tol, `${what} output ${i}`));
}

test('the engine kernels on webgpu (WGSL) match cpu: ReLU gradient, SGD step, running statistics, wide AddN', async () => {
  const [dy, y] = [random([2, 3, 3, 5], 1), random([2, 3, 3, 5], 2)];
  await agrees('reluGrad', () => [reluGrad(t(dy), t(y))], 0);
  const [w, g, buf] = [random([3, 4], 3), random([3, 4], 4), random([3, 4], 5)];
  for (const attrs of [
    { lr: 0.1, momentum: 0.9, weightDecay: 3e-4, gradScale: 0.5 },
    { lr: 0.05, momentum: 0, weightDecay: 0, gradScale: 1 },
  ]) {
    await agrees(`SGD ${JSON.stringify(attrs)} with a buffer`, () =>
      attrs.momentum > 0
        ? (tf.engine().runKernel(SGD_STEP, { w: t(w), g: t(g), buf: t(buf) }, attrs) as tf.Tensor[])
        : (tf.engine().runKernel(SGD_STEP, { w: t(w), g: t(g) }, attrs) as tf.Tensor[]),
    );
    await agrees(`SGD ${JSON.stringify(attrs)}, first step`, () => [
      ...(tf.engine().runKernel(SGD_STEP, { w: t(w), g: t(g) }, attrs) as tf.Tensor[]),
    ]);
  }
  const stats = [6, 7, 8, 9].map((s) => random([7], s));
  const abs = (a: { values: Float32Array; shape: number[] }) => ({ ...a, values: a.values.map(Math.abs) });
  await agrees(
    'running statistics',
    () =>
      tf
        .engine()
        .runKernel(
          RUNNING_STATS,
          { runningMean: t(stats[0]!), runningVar: t(abs(stats[1]!)), mean: t(stats[2]!), variance: t(abs(stats[3]!)) },
          { momentum: 0.1, count: 18 },
        ) as tf.Tensor[],
  );
  // More inputs than a shader may bind (8 storage buffers on lavapipe): summed in groups.
  const many = Array.from({ length: 19 }, (_, i) => random([2, 5], 20 + i));
  await agrees('AddN of 19', () => [tf.addN(many.map(t))]);
});

test('gradients on webgpu match cpu: convolution, depthwise with dilation 2, pooling, batch norm, mixing', async () => {
  const x = random([2, 6, 6, 3], 40);
  const grads =
    (f: (x: tf.Tensor4D, ...ws: tf.Tensor[]) => tf.Tensor, ...ws: Array<ReturnType<typeof random>>) =>
    () => {
      const inputs = [t(x), ...ws.map(t)];
      const dy = tf.onesLike(tf.tidy(() => f(inputs[0] as tf.Tensor4D, ...inputs.slice(1))));
      // A weighted sum of the outputs, so that every output position gets its own weight.
      const weights = tf.tensor(random(dy.shape, 99).values, dy.shape);
      const out = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(xs[0] as tf.Tensor4D, ...xs.slice(1)), weights)))(
        inputs,
      );
      return [...out, f(inputs[0] as tf.Tensor4D, ...inputs.slice(1))];
    };
  await agrees(
    'conv2d',
    grads((x, f) => tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), random([3, 3, 3, 4], 41)),
    1e-3,
  );
  await agrees(
    'conv2d, stride 2',
    grads((x, f) => tf.conv2d(x, f as tf.Tensor4D, 2, 'valid'), random([1, 1, 3, 4], 42)),
    1e-3,
  );
  for (const [strides, dilation] of [
    [1, 1],
    [1, 2],
    [2, 2],
  ] as const) {
    await agrees(
      `depthwise stride ${strides} dilation ${dilation}`,
      grads((x, f) => depthwiseConv2d(x, f as tf.Tensor4D, strides, dilation * 1, dilation), random([3, 3, 3, 1], 43)),
      1e-3,
    );
  }
  await agrees(
    'max pool',
    grads((x) => tf.maxPool(x, 3, 1, 'same')),
    1e-4,
  );
  await agrees(
    'average pool, padding excluded',
    grads((x) => avgPoolExcludePad(x, 3, 2, 1)),
    1e-4,
  );
  await agrees(
    'batch norm (training)',
    grads(
      (x, s, o) => batchNormTraining(x, s as tf.Tensor1D, o as tf.Tensor1D, 1e-5).y,
      random([3], 44),
      random([3], 45),
    ),
    1e-3,
  );
  await agrees(
    'channel affine',
    grads((x, s, o) => channelAffine(x, s!, o!), random([3], 46), random([3], 47)),
    1e-4,
  );
  const mix = Float32Array.from([0.2, 0.5, 0.3]);
  await agrees(
    'mixing',
    grads((x) => weightedSum([tf.relu(x), tf.sigmoid(x), tf.mul(x, x)] as tf.Tensor4D[], mix)),
    1e-4,
  );
});

test('the depthwise gradient with dilation 2 on webgpu matches finite differences', async () => {
  const [x, f] = [random([1, 7, 7, 2], 60), random([3, 3, 2, 1], 61)];
  const loss = (xv: tf.Tensor4D, fv: tf.Tensor4D) => tf.sum(tf.square(depthwiseConv2d(xv, fv, 1, 2, 2)));
  const [dx, df] = await on('webgpu', () =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor4D, b as tf.Tensor4D))([t(x), t(f)]),
  );
  // Directional derivatives along random directions: (L(p + h v) - L(p - h v)) / 2h = <grad, v>.
  const h = 1e-2;
  for (const [which, grad, seed] of [
    ['x', dx, 62],
    ['filter', df, 63],
  ] as const) {
    const v = random(which === 'x' ? x.shape : f.shape, seed);
    const shifted = (sign: number) => {
      const moved = (p: ReturnType<typeof random>) => ({
        ...p,
        values: p.values.map((a, i) => a + sign * h * (v.values[i] as number)),
      });
      return which === 'x'
        ? loss(t(moved(x)) as tf.Tensor4D, t(f) as tf.Tensor4D)
        : loss(t(x) as tf.Tensor4D, t(moved(f)) as tf.Tensor4D);
    };
    const [plus, minus] = await on('webgpu', () => [shifted(1), shifted(-1)]);
    const numeric = ((plus![0] as number) - (minus![0] as number)) / (2 * h);
    const analytic = (grad as Float32Array).reduce((s, g, i) => s + g * (v.values[i] as number), 0);
    assert.ok(
      Math.abs(numeric - analytic) <= 1e-2 * Math.max(1, Math.abs(analytic)),
      `d${which}: finite difference ${numeric}, gradient ${analytic}`,
    );
  }
});
