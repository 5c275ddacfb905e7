import * as tf from '@tensorflow/tfjs-core';
import { dyForInputGradient, padOrCrop, tensorInput, xForFilterGradient, zeroUpsample } from './conv-geometry.js';
import { wasmBackend } from './wasm-heap.js';
import { pointers, simdGeometry, simdKernels } from './wasm-simd.js';

type Shape4 = [number, number, number, number];

function geometry(
  xShape: Shape4,
  filterShape: Shape4,
  attrs: tf.Conv2DBackpropInputAttrs | tf.Conv2DBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error('conv2d backprop on wasm supports only NHWC data');
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * dx of a convolution: a stride-1 convolution of the upsampled, padded dy with the flipped filter whose in and
 * out channels are swapped. A 1x1 filter commutes with upsampling, so it is applied first, on the smaller dy.
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.Conv2DBackpropInputAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(attrs.inputShape, filter.shape, attrs);
    const [fh, fw] = filter.shape;
    // A 1x1 filter needs no spatial flip.
    const flipped = fh === 1 && fw === 1 ? filter : tf.reverse(filter, [0, 1]);
    const backward = tf.transpose(flipped, [0, 1, 3, 2]) as tf.Tensor4D;
    if (fh === 1 && fw === 1) {
      const mixed = zeroUpsample(tf.conv2d(dy, backward, 1, 'valid'), info.strideHeight, info.strideWidth);
      const { top, left } = info.padInfo;
      const [, h, w] = mixed.shape;
      return padOrCrop(mixed, {
        top: -top,
        bottom: info.inHeight + top - h,
        left: -left,
        right: info.inWidth + left - w,
      });
    }
    return tf.conv2d(dyForInputGradient(dy, info), backward, 1, 'valid');
  });
}

/**
 * dfilter of a convolution, as one convolution: input channels become the batch and images the channels of
 * the padded x, dy (dilated by the forward stride) is the filter, and the result holds every tap.
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(x.shape, attrs.filterShape, attrs);
    const images = tf.transpose(xForFilterGradient(x, info), [3, 1, 2, 0]) as tf.Tensor4D;
    const kernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const taps = tf.conv2d(images, kernel, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.transpose(taps, [1, 2, 0, 3]);
  });
}

/** Largest im2col buffer (bytes) the wasm filter gradient builds; larger ones take the single convolution. */
const IM2COL_LIMIT = 64 << 20;

/**
 * wasm dfilter of a convolution as x^T dy over all pixels, one SIMD matrix product (gemmTN). An unpadded 1x1
 * filter reads x in place (subsampled by the stride), where a transpose of x then a matrix product spent three
 * quarters of their time in the transpose; other filters read an im2col copy of x (tap by tap, zeros under
 * padding), where conv2dBackpropFilter's single convolution took ~90 ms for the stem's 3x3 on a 64-image batch.
 */
function wasmConv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.Conv2DBackpropFilterAttrs,
  backend: unknown,
): tf.TensorInfo {
  const info = geometry(x.shape, attrs.filterShape, attrs);
  const { top, bottom, left, right } = info.padInfo;
  if (info.filterHeight !== 1 || info.filterWidth !== 1 || top + bottom + left + right !== 0) {
    const [kh, kw, inC, outC] = attrs.filterShape;
    const pixels = info.batchSize * info.outHeight * info.outWidth;
    if (pixels * kh * kw * inC * 4 > IM2COL_LIMIT) return conv2dBackpropFilter(x, dy, attrs);
    const wasm = wasmBackend(backend);
    const cols = wasm.makeOutput([pixels, kh * kw * inC], 'float32');
    const out = wasm.makeOutput(attrs.filterShape, 'float32');
    const [px, pc, pdy, po] = pointers(wasm, x, cols, dy, out) as [number, number, number, number];
    const simd = simdKernels(wasm);
    simd.im2col(px, pc, ...simdGeometry(info));
    simd.gemmTN(pc, pdy, po, pixels, kh * kw * inC, outC);
    wasm.disposeData(cols.dataId, true);
    return out;
  }
  const strided = info.strideHeight !== 1 || info.strideWidth !== 1;
  // A 1x1 stride-s average pool picks every s-th pixel exactly (and is fast on wasm).
  const read = strided ? tf.avgPool(x, 1, [info.strideHeight, info.strideWidth], 'valid') : x;
  const [inC, outC] = [x.shape[3], attrs.filterShape[3]];
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const wasm = wasmBackend(backend);
  const out = wasm.makeOutput([1, 1, inC, outC], 'float32');
  const [a, b, o] = pointers(wasm, read, dy, out);
  simdKernels(wasm).gemmTN(a as number, b as number, o as number, pixels, inC, outC);
  if (strided) read.dispose();
  return out;
}

/**
 * y = x W (+ bias) for a 1x1 filter without padding or dilation, x subsampled by the stride, as one SIMD matrix
 * product (gemmNN); undefined for any other convolution (or layout, dtype, bias shape).
 */
function oneByOneConv(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.Conv2DAttrs,
  backend: unknown,
  bias?: tf.Tensor,
): tf.TensorInfo | undefined {
  const [fh, fw, inC, outC] = filter.shape;
  if (fh !== 1 || fw !== 1 || attrs.dataFormat === 'NCHW' || x.dtype !== 'float32') return undefined;
  if (bias && (bias.size !== outC || bias.shape[bias.rank - 1] !== outC || bias.dtype !== 'float32')) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    filter.shape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  if (top + bottom + left + right !== 0 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const strided = info.strideHeight !== 1 || info.strideWidth !== 1;
  // A 1x1 stride-s average pool picks every s-th pixel exactly.
  const read = strided ? tf.avgPool(x, 1, [info.strideHeight, info.strideWidth], 'valid') : x;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  const wasm = wasmBackend(backend);
  const y = wasm.makeOutput([info.batchSize, info.outHeight, info.outWidth, outC], 'float32');
  const [a, b, o] = pointers(wasm, read, filter, y) as [number, number, number];
  const [pBias] = bias ? pointers(wasm, bias) : [0];
  simdKernels(wasm).gemmNN(a, b, o, pixels, inC, outC, pBias as number);
  if (strided) read.dispose();
  return y;
}

/**
 * wasm Conv2D and FusedConv2D: ours for 1x1 filters without padding or dilation (every convolution of the networks
 * but the stem and the auxiliary head; fused: a per-channel bias and no activation, the supernet's inference-mode
 * conv and BN), x times the filter as one SIMD matrix product (oneByOneConv): 0.55-0.9 of XNNPACK's time on the
 * networks' shapes (its operator is rebuilt and its weights packed on every call, the filters being new tensors
 * every step). Conv2DBackpropInput's 1x1 product goes through it too. Anything else takes the native kernel.
 */
export function wrapConv2dForward(native: tf.KernelFunc): Omit<tf.KernelConfig, 'backendName'> {
  return {
    kernelName: 'Conv2D',
    kernelFunc: (args) =>
      oneByOneConv(
        tensorInput(args.inputs, 'x'),
        tensorInput(args.inputs, 'filter'),
        args.attrs as unknown as tf.Conv2DAttrs,
        args.backend,
      ) ?? native(args),
  };
}

/** See wrapConv2dForward. */
export function wrapFusedConv2dForward(native: tf.KernelFunc): Omit<tf.KernelConfig, 'backendName'> {
  return {
    kernelName: 'FusedConv2D',
    kernelFunc: (args) => {
      const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
      const { bias, preluActivationWeights } = args.inputs as Record<string, tf.Tensor | undefined>;
      if ((attrs.activation ?? 'linear') !== 'linear' || preluActivationWeights) return native(args);
      return (
        oneByOneConv(tensorInput(args.inputs, 'x'), tensorInput(args.inputs, 'filter'), attrs, args.backend, bias) ??
        native(args)
      );
    },
  };
}

/** wasm kernels: Conv2DBackpropFilter is missing and the native Conv2DBackpropInput is about 12x slower than this. */
export const conv2dBackpropKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'Conv2DBackpropInput',
    kernelFunc: ({ inputs, attrs }) =>
      conv2dBackpropInput(
        tensorInput(inputs, 'dy'),
        tensorInput(inputs, 'filter'),
        attrs as unknown as tf.Conv2DBackpropInputAttrs,
      ),
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    kernelFunc: ({ inputs, attrs, backend }) =>
      wasmConv2dBackpropFilter(
        tensorInput(inputs, 'x'),
        tensorInput(inputs, 'dy'),
        attrs as unknown as tf.Conv2DBackpropFilterAttrs,
        backend,
      ),
  },
];
