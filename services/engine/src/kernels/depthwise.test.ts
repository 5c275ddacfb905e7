import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import {
  assertClose,
  checkGradients,
  checkOnEachBackend,
  onEachBackend,
  spreadValues,
  useBackend,
  assertSameValues,
  type Values,
} from './grad-check.js';
import { depthwiseConv2d } from './index.js';

/** Direct float64 evaluation of a PyTorch-style depthwise convolution (symmetric zero padding). */
function reference(
  x: Float32Array,
  [n, h, w, c]: number[],
  f: Float32Array,
  k: number,
  stride: number,
  pad: number,
  dilation: number,
) {
  const out = (size: number): number => Math.floor((size + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
  const [ho, wo] = [out(h as number), out(w as number)];
  const y = new Float64Array((n as number) * ho * wo * (c as number));
  for (let b = 0; b < (n as number); b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let ch = 0; ch < (c as number); ch++) {
          let sum = 0;
          for (let a = 0; a < k; a++)
            for (let e = 0; e < k; e++) {
              const [r, q] = [i * stride + a * dilation - pad, j * stride + e * dilation - pad];
              if (r < 0 || q < 0 || r >= (h as number) || q >= (w as number)) continue;
              sum +=
                (x[((b * (h as number) + r) * (w as number) + q) * (c as number) + ch] as number) *
                (f[(a * k + e) * (c as number) + ch] as number);
            }
          y[((b * ho + i) * wo + j) * (c as number) + ch] = sum;
        }
  return { y, shape: [n, ho, wo, c] };
}

// Two channels everywhere (the wasm SIMD kernels' flat-run path at stride 1, scalar at stride 2); one, three and
// four channels (scalar, scalar and 4-channel vector paths) on batch 1 at k = 3.
const configs = [1, 2].flatMap((stride) =>
  [1, 2].flatMap((dilation) => [
    ...[3, 5].flatMap((k) =>
      [5, 6].map((size) => ({ stride: stride as 1 | 2, dilation: dilation as 1 | 2, k, size, batch: 2, channels: 2 })),
    ),
    ...[1, 3, 4].map((channels) => ({
      stride: stride as 1 | 2,
      dilation: dilation as 1 | 2,
      k: 3,
      size: 6,
      batch: 1,
      channels,
    })),
  ]),
);

for (const { stride, dilation, k, size, batch, channels } of configs) {
  // DARTS padding: k//2 for sep_conv, (k-1) for dil_conv (dilation 2).
  const pad = dilation === 1 ? Math.floor(k / 2) : k - 1;
  test(`depthwiseConv2d ${k}x${k} stride ${stride} dilation ${dilation} on ${batch}x${size}x${size}x${channels}`, async (t) => {
    const xShape = [batch, size, size, channels];
    const f = (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
      depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad, dilation);
    await checkOnEachBackend(
      t,
      () => {
        const result = checkGradients(f, [{ shape: xShape }, { shape: [k, k, channels, 1] }]);
        const x = spreadValues(tf.util.sizeFromShape(xShape), 7);
        const w = spreadValues(k * k * channels, 7 + 101);
        const expected = reference(x, xShape, w, k, stride, pad, dilation);
        assert.deepEqual(result.outputShape, expected.shape);
        assertClose(result.output, expected.y, 1e-5, 1e-5, 'forward');
        return result;
      },
      (backend) => `${backend}: forward matches a direct evaluation, gradients match finite differences`,
    );
  });
}

test('depthwiseConv2d rejects bad arguments with clear errors', async () => {
  await useBackend('cpu');
  tf.tidy(() => {
    const x = tf.zeros([1, 5, 5, 2]) as tf.Tensor4D;
    assert.throws(() => depthwiseConv2d(x, tf.zeros([3, 3, 3, 1]) as tf.Tensor4D, 1, 1, 1), /filter expects 3/);
    assert.throws(() => depthwiseConv2d(x, tf.zeros([3, 3, 2, 1]) as tf.Tensor4D, 1, -1, 1), /pad must be/);
    assert.throws(
      () => depthwiseConv2d(tf.zeros([1, 2, 2, 2]) as tf.Tensor4D, tf.zeros([5, 5, 2, 1]) as tf.Tensor4D, 1, 0, 2),
      /does not fit/,
    );
  });
});

/** Runs the named kernel and returns its values and shape. */
function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): Values {
  const out = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { values: out.dataSync() as Float32Array, shape: out.shape };
  out.dispose();
  return result;
}

/** dx and dfilter of a stride-1, dilation-2 depthwise conv for upstream gradient dy, through depthwiseConv2d. */
function viaWrapper(x: tf.Tensor4D, filter: tf.Tensor4D, dy: tf.Tensor4D, pad: number): Values[] {
  const grads = tf.grads((input: tf.Tensor, f: tf.Tensor) =>
    tf.sum(tf.mul(depthwiseConv2d(input as tf.Tensor4D, f as tf.Tensor4D, 1, pad, 2), dy)),
  )([x, filter]);
  const result = grads.map((g) => ({ values: g.dataSync() as Float32Array, shape: g.shape }));
  tf.dispose(grads);
  return result;
}

// The wasm backprop kernels called directly, beyond what depthwiseConv2d uses: channel multiplier 2,
// 'same' and 'valid' padding, dilation 2 at stride 1 (the native op's own dilation). The cpu
// depthwise backprop kernels ignore dilations, so with dilation 2 the expected gradients are those of our
// depthwiseConv2d on cpu (checked against finite differences above).
const kernelConfigs = [
  { x: [2, 5, 5, 3], f: [3, 3, 3, 2], strides: 1, pad: 1, dilations: 1 },
  { x: [1, 6, 7, 2], f: [3, 3, 2, 2], strides: 2, pad: 'same', dilations: 1 },
  { x: [1, 7, 6, 2], f: [5, 5, 2, 1], strides: 2, pad: 'valid', dilations: 1 },
  { x: [1, 7, 7, 2], f: [3, 3, 2, 2], strides: 1, pad: 2, dilations: 2 },
  { x: [1, 6, 6, 1], f: [5, 5, 1, 1], strides: 1, pad: 4, dilations: 2 },
  // Multiplier 1 on wider inputs for the SIMD kernels: vector channels (8, 12), flat runs (1, 2), scalar (5).
  { x: [2, 9, 8, 8], f: [3, 3, 8, 1], strides: 1, pad: 1, dilations: 1 },
  { x: [2, 9, 9, 12], f: [5, 5, 12, 1], strides: 2, pad: 2, dilations: 1 },
  { x: [1, 10, 9, 8], f: [5, 5, 8, 1], strides: 1, pad: 4, dilations: 2 },
  { x: [2, 11, 10, 2], f: [3, 3, 2, 1], strides: 1, pad: 'same', dilations: 1 },
  { x: [1, 12, 11, 1], f: [3, 3, 1, 1], strides: 1, pad: 2, dilations: 2 },
  { x: [2, 8, 9, 2], f: [3, 3, 2, 1], strides: 2, pad: 1, dilations: 1 },
  { x: [1, 7, 7, 5], f: [3, 3, 5, 1], strides: 1, pad: 'valid', dilations: 1 },
  // The register-blocked correlation (channels a multiple of 4; the stride-1 input gradient too): 'same' padding
  // with its odd pixel at the end, an input narrower than the filter (no interior column), dilation 2 on 16.
  { x: [2, 8, 8, 16], f: [3, 3, 16, 1], strides: 2, pad: 'same', dilations: 1 },
  { x: [1, 3, 2, 4], f: [5, 5, 4, 1], strides: 1, pad: 2, dilations: 1 },
  { x: [2, 9, 11, 16], f: [3, 3, 16, 1], strides: 1, pad: 2, dilations: 2 },
  { x: [1, 6, 7, 8], f: [4, 2, 8, 1], strides: 1, pad: 'same', dilations: 1 },
  // One channel, 9 taps wide: edges of 4 pixels, one whole masked vector each.
  { x: [1, 7, 12, 1], f: [3, 9, 1, 1], strides: 1, pad: 'same', dilations: 1 },
] as const;

for (const cfg of kernelConfigs) {
  test(`wasm depthwise backprop kernels match cpu: x ${cfg.x} filter ${cfg.f} stride ${cfg.strides} pad ${cfg.pad} dilation ${cfg.dilations}`, async () => {
    const { cpu, wasm } = await onEachBackend((backend) => {
      const x = tf.tensor4d(spreadValues(tf.util.sizeFromShape([...cfg.x]), 1), [...cfg.x]);
      const filter = tf.tensor4d(spreadValues(tf.util.sizeFromShape([...cfg.f]), 2), [...cfg.f]);
      const y = tf.depthwiseConv2d(x, filter, cfg.strides, cfg.pad, 'NHWC', cfg.dilations);
      const dy = tf.tensor4d(spreadValues(y.size, 3), y.shape);
      const attrs = { strides: cfg.strides, pad: cfg.pad, dilations: cfg.dilations };
      const values = [
        ...(backend === 'cpu' && cfg.dilations === 2 && typeof cfg.pad === 'number'
          ? viaWrapper(x, filter, dy, cfg.pad)
          : [
              runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape }),
              runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: filter.shape }),
            ]),
        // The forward kernel too (ours on wasm for multiplier 1 on 4k channels, or 1-2 at stride 1; else native).
        { values: y.dataSync() as Float32Array, shape: y.shape },
      ];
      tf.dispose([x, filter, y, dy]);
      return values;
    });
    assertSameValues(wasm, cpu, ['input gradient', 'filter gradient', 'forward']);
  });
}
