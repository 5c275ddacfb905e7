import * as tf from '@tensorflow/tfjs-core';
import { depthwiseGradients } from './depthwise-backprop.js';
import { gradientPerInput } from './fused.js';

/**
 * Stride-1, dilation-2 depthwise convolution with its own gradient: every backend runs the dilated forward
 * natively, but tfjs refuses its gradient and the cpu backprop kernels ignore dilation. The gradients are our
 * wasm kernels on wasm, elsewhere composed from forward depthwise convolutions (depthwiseGradients); the filter's
 * is computed only when the backward pass needs it (not for an attack's input gradient).
 */
function dilated(x: tf.Tensor4D, filter: tf.Tensor4D, pad: number): tf.Tensor4D {
  const attrs = { strides: 1, pad, dilations: 2 } as const;
  return gradientPerInput(
    { x, filter },
    (save) => {
      save([x, filter]);
      return tf.depthwiseConv2d(x, filter, 1, pad, 'NHWC', 2);
    },
    (dy, saved) => {
      const [xs, fs] = saved as [tf.Tensor4D, tf.Tensor4D];
      return depthwiseGradients(xs, fs, dy, attrs);
    },
  );
}

/**
 * Depthwise convolution with symmetric zero padding `pad`, differentiable in x and filter on every backend
 * (filter [k, k, C, multiplier]). Output size is floor((H + 2 pad - dilation (k - 1) - 1) / strides) + 1, as in
 * PyTorch. Dilation 2 at stride 2 reads only even rows and columns of the padded input, so it runs as an
 * undilated stride-1 convolution of those (taken with a 1x1 stride-2 average pool: exact, and fast on wasm).
 */
export function depthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: 1 | 2,
  pad: number,
  dilation: 1 | 2,
): tf.Tensor4D {
  if (x.rank !== 4 || filter.rank !== 4)
    throw new Error(`depthwiseConv2d: x and filter must be rank 4, got ${x.rank} and ${filter.rank}`);
  const [, h, w, channels] = x.shape;
  const [fh, fw, filterChannels] = filter.shape;
  if (channels !== filterChannels)
    throw new Error(`depthwiseConv2d: x has ${channels} channels but the filter expects ${filterChannels}`);
  if (!Number.isInteger(pad) || pad < 0)
    throw new Error(`depthwiseConv2d: pad must be a non-negative integer, got ${pad}`);
  if (h + 2 * pad < dilation * (fh - 1) + 1 || w + 2 * pad < dilation * (fw - 1) + 1) {
    throw new Error(
      `depthwiseConv2d: a ${fh}x${fw} filter with dilation ${dilation} does not fit a padded ${h}x${w} input`,
    );
  }
  if (dilation === 1) return tf.depthwiseConv2d(x, filter, strides, pad);
  if (strides === 1) return dilated(x, filter, pad);
  if (pad % 2 === 0) {
    // With an even pad the even rows of the padded input are the even rows of x (shifted by pad / 2): subsample
    // x, then an undilated stride-1 convolution with pad / 2 gives the same ceil(H / 2) rows, with no padded copy.
    return tf.tidy(() => tf.depthwiseConv2d(tf.avgPool(x, 1, 2, 'valid'), filter, 1, pad / 2));
  }
  return tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ]);
    return tf.depthwiseConv2d(tf.avgPool(padded, 1, 2, 'valid'), filter, 1, 'valid');
  });
}
