import * as tf from '@tensorflow/tfjs-core';
import { dyForInputGradient, tensorInput, xForFilterGradient } from './conv-geometry.js';

function geometry(
  xShape: number[],
  filterShape: number[],
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs | tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

// Both gradients are built from forward ops only, so they run on any backend (depthwise.ts uses them for
// dilation 2 on every backend; on wasm they also serve as the missing backprop kernels).

/**
 * dx of a depthwise convolution: a stride-1 depthwise correlation of the upsampled, padded dy with the
 * spatially flipped filter; with a channel multiplier M the M output channels of each input channel are summed.
 */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(attrs.inputShape, filter.shape, attrs);
    const [fh, fw, channels, multiplier] = filter.shape;
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fh, fw, channels * multiplier, 1]) as tf.Tensor4D;
    const dilations: [number, number] = [info.dilationHeight, info.dilationWidth];
    const dx = tf.depthwiseConv2d(dyForInputGradient(dy, info), flipped, 1, 'valid', 'NHWC', dilations);
    if (multiplier === 1) return dx;
    const [n, h, w] = dx.shape;
    return tf.sum(tf.reshape(dx, [n, h, w, channels, multiplier]), 4) as tf.Tensor4D;
  });
}

/**
 * dfilter of a depthwise convolution, computed as one depthwise convolution: channels become (channel, image)
 * pairs, dy of each pair is the "filter" (dilated by the forward stride) and it slides over the padded x with
 * the forward dilation as its stride; summing over images gives each tap's gradient.
 */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(x.shape, attrs.filterShape, attrs);
    const [fh, fw, channels, multiplier] = attrs.filterShape;
    const [stride, dilation] = [
      [info.strideHeight, info.strideWidth],
      [info.dilationHeight, info.dilationWidth],
    ];
    if (stride.some((s) => s > 1) && dilation.some((d) => d > 1)) {
      throw new Error('depthwise filter gradient: strides and dilations cannot both exceed 1');
    }
    const [n] = x.shape;
    const [, ho, wo] = dy.shape;
    const xp = xForFilterGradient(x, info);
    const [, hp, wp] = xp.shape;
    const images = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, hp, wp, channels * n]) as tf.Tensor4D;
    const dyPerImage = tf.transpose(tf.reshape(dy, [n, ho, wo, channels, multiplier]), [1, 2, 3, 0, 4]);
    const kernel = tf.reshape(dyPerImage, [ho, wo, channels * n, multiplier]) as tf.Tensor4D;
    const taps = tf.depthwiseConv2d(
      images,
      kernel,
      dilation as [number, number],
      'valid',
      'NHWC',
      stride as [number, number],
    );
    return tf.sum(tf.reshape(taps, [fh, fw, channels, n, multiplier]), 3) as tf.Tensor4D;
  });
}

/** wasm kernels for the depthwise backprop ops the wasm backend lacks. */
export const depthwiseBackpropKernels: Array<Omit<tf.KernelConfig, 'backendName'>> = [
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    kernelFunc: ({ inputs, attrs }) =>
      depthwiseBackpropInput(
        tensorInput(inputs, 'dy'),
        tensorInput(inputs, 'filter'),
        attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs,
      ),
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    kernelFunc: ({ inputs, attrs }) =>
      depthwiseBackpropFilter(
        tensorInput(inputs, 'x'),
        tensorInput(inputs, 'dy'),
        attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs,
      ),
  },
];
