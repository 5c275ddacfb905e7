import * as tf from '@tensorflow/tfjs-core';

/** Even rows and columns of an NHWC tensor whose height and width are even. */
function evenRowsAndColumns(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const grid = tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]);
  return tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [n, h / 2, 1, w / 2, 1, c]), [n, h / 2, w / 2, c]);
}

/**
 * Depthwise convolution with symmetric zero padding `pad`, differentiable in x and filter on every backend.
 * It uses only undilated depthwise convolutions (whose gradients every backend has) plus layout ops:
 * - dilation 2, stride 1: the output's four row/column parities each come from one parity of the padded
 *   input, so spaceToBatchND splits the parities, an undilated conv runs on each, batchToSpaceND interleaves;
 * - dilation 2, stride 2: every tap reads an even row and column of the padded input, so it is an undilated
 *   stride-1 conv of those.
 * Output size is floor((H + 2 pad - dilation (k - 1) - 1) / strides) + 1, as in PyTorch.
 */
export function depthwiseConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: 1 | 2, pad: number, dilation: 1 | 2): tf.Tensor4D {
  const [, h, w, channels] = x.shape;
  const [fh, fw, filterChannels] = filter.shape;
  if (x.rank !== 4 || filter.rank !== 4) throw new Error(`depthwiseConv2d: x and filter must be rank 4, got ${x.rank} and ${filter.rank}`);
  if (channels !== filterChannels) throw new Error(`depthwiseConv2d: x has ${channels} channels but the filter expects ${filterChannels}`);
  if (!Number.isInteger(pad) || pad < 0) throw new Error(`depthwiseConv2d: pad must be a non-negative integer, got ${pad}`);
  if (h + 2 * pad < dilation * (fh - 1) + 1 || w + 2 * pad < dilation * (fw - 1) + 1) {
    throw new Error(`depthwiseConv2d: a ${fh}x${fw} filter with dilation ${dilation} does not fit a padded ${h}x${w} input`);
  }
  if (dilation === 1) return tf.depthwiseConv2d(x, filter, strides, pad);
  return tf.tidy(() => {
    // Pad to even sizes; the extra row/column is odd-indexed, never read by the even parity that stride 2 keeps,
    // and cropped from the odd parity's output at stride 1.
    const [extraH, extraW] = [(h + 2 * pad) % 2, (w + 2 * pad) % 2];
    const paddings = [
      [pad, pad + extraH],
      [pad, pad + extraW],
    ];
    if (strides === 2) {
      const padded = tf.pad(x, [[0, 0], paddings[0] as [number, number], paddings[1] as [number, number], [0, 0]]);
      return tf.depthwiseConv2d(evenRowsAndColumns(padded), filter, 1, 'valid');
    }
    const parities = tf.spaceToBatchND(x, [2, 2], paddings);
    const y = tf.depthwiseConv2d(parities, filter, 1, 'valid');
    return tf.batchToSpaceND(y, [2, 2], [
      [0, extraH],
      [0, extraW],
    ]);
  });
}
