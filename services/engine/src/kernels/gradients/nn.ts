import * as tf from '@tensorflow/tfjs-core';
import { paddingExcludedScale } from '../conv-geometry.js';
import { at, grad, one, unbroadcast } from './util.js';

/** Runs a kernel by name on the active backend. */
function run(kernelName: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
}

function allOnes(value: number | number[] | undefined): boolean {
  return value === undefined || (Array.isArray(value) ? value : [value]).every((v) => v === 1);
}

/**
 * AvgPool averages over the in-bounds window only (padding is not counted), but the AvgPoolGrad kernels of
 * the cpu and wasm backends divide by the full window size; rescaling dy by window/count makes them agree.
 */
function avgPoolGrad(dy: tf.Tensor, x: tf.Tensor4D, attrs: tf.AvgPoolAttrs): tf.Tensor {
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  // Without padding every window is full: nothing to rescale.
  const scaled = top + bottom + left + right === 0 ? dy : tf.mul(dy, paddingExcludedScale(info));
  return run(
    'AvgPoolGrad',
    { dy: scaled, input: x },
    { filterSize: attrs.filterSize, strides: attrs.strides, pad: attrs.pad },
  );
}

/** Gradients of the convolution, pooling, softmax, batch-norm and matmul kernels. */
export const nnGradients: tf.GradConfig[] = [
  grad({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs: tf.Conv2DAttrs) => {
      const [x, filter] = [at(saved, 0), at(saved, 1)];
      if (!allOnes(attrs.dilations))
        throw new Error(`gradient of conv2d: dilations must be 1, got ${String(attrs.dilations)}`);
      const common = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: attrs.dataFormat,
        dimRoundingMode: attrs.dimRoundingMode,
      };
      return {
        x: () => run('Conv2DBackpropInput', { dy: one(dy), filter }, { ...common, inputShape: x.shape }),
        filter: () => run('Conv2DBackpropFilter', { x, dy: one(dy) }, { ...common, filterShape: filter.shape }),
      };
    },
  }),
  grad({
    kernelName: 'DepthwiseConv2dNative',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs: tf.DepthwiseConv2dNativeAttrs) => {
      const [x, filter] = [at(saved, 0), at(saved, 1)];
      if (!allOnes(attrs.dilations)) {
        throw new Error(
          'gradient of depthwiseConv2d: native dilation has no gradient; use depthwiseConv2d from kernels/',
        );
      }
      const common = { strides: attrs.strides, pad: attrs.pad, dilations: 1, dimRoundingMode: attrs.dimRoundingMode };
      return {
        x: () => run('DepthwiseConv2dNativeBackpropInput', { dy: one(dy), filter }, { ...common, inputShape: x.shape }),
        filter: () =>
          run('DepthwiseConv2dNativeBackpropFilter', { x, dy: one(dy) }, { ...common, filterShape: filter.shape }),
      };
    },
  }),
  grad({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs: tf.MaxPoolAttrs) => ({
      x: () => run('MaxPoolGrad', { dy: one(dy), input: at(saved, 0), output: at(saved, 1) }, attrs),
    }),
  }),
  grad({
    kernelName: 'AvgPool',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.AvgPoolAttrs) => ({
      x: () => avgPoolGrad(one(dy), at(saved, 0) as tf.Tensor4D, attrs),
    }),
  }),
  grad({
    kernelName: 'Softmax',
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs: tf.SoftmaxAttrs) => {
      const [d, y] = [one(dy), at(saved, 0)];
      return { logits: () => tf.mul(y, tf.sub(d, tf.sum(tf.mul(d, y), attrs.dim, true))) };
    },
  }),
  grad({
    kernelName: 'FusedBatchNorm',
    inputsToSave: ['x', 'mean', 'variance', 'scale', 'offset'],
    gradFunc: (dy, saved, attrs: tf.FusedBatchNormAttrs) => {
      const [x, mean, variance] = [at(saved, 0), at(saved, 1), at(saved, 2)];
      const [scale = tf.scalar(1), offset = tf.scalar(0)] = [saved[3], saved[4]];
      const d = one(dy);
      const rstd = tf.rsqrt(tf.add(variance, attrs.varianceEpsilon));
      const centered = tf.sub(x, mean);
      const dScaled = tf.mul(d, scale);
      return {
        x: () => tf.mul(dScaled, rstd),
        mean: () => unbroadcast(tf.neg(tf.mul(dScaled, rstd)), mean.shape),
        variance: () => unbroadcast(tf.mul(tf.mul(dScaled, centered), tf.mul(tf.pow(rstd, 3), -0.5)), variance.shape),
        scale: () => unbroadcast(tf.mul(d, tf.mul(centered, rstd)), scale.shape),
        offset: () => unbroadcast(d, offset.shape),
      };
    },
  }),
  grad({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs: tf.BatchMatMulAttrs) => {
      const [a, b, d] = [at(saved, 0), at(saved, 1), one(dy)];
      const { transposeA: tA, transposeB: tB } = attrs;
      // y = op(a) op(b), so d op(a) = dy op(b)^T and d op(b) = op(a)^T dy, transposed back where op transposes.
      const da = tA ? tf.matMul(b, d, tB, true) : tf.matMul(d, b, false, !tB);
      const db = tB ? tf.matMul(d, a, true, tA) : tf.matMul(a, d, !tA, false);
      return { a: () => unbroadcast(da, a.shape), b: () => unbroadcast(db, b.shape) };
    },
  }),
];
