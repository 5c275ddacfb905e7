import * as tf from '@tensorflow/tfjs-core';

/** Spatial edges of an NHWC tensor: a positive value pads with zeros, a negative one crops. */
export interface Edges {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Pads (positive edges) and crops (negative edges) the two spatial axes of an NHWC tensor. */
export function padOrCrop(x: tf.Tensor4D, e: Edges): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const pos = (v: number): number => Math.max(v, 0);
  const neg = (v: number): number => Math.max(-v, 0);
  let y = x;
  if (e.top < 0 || e.bottom < 0 || e.left < 0 || e.right < 0) {
    const rows = h - neg(e.top) - neg(e.bottom);
    const cols = w - neg(e.left) - neg(e.right);
    y = tf.slice(y, [0, neg(e.top), neg(e.left), 0], [n, rows, cols, c]);
  }
  if (e.top > 0 || e.bottom > 0 || e.left > 0 || e.right > 0) {
    y = tf.pad(y, [
      [0, 0],
      [pos(e.top), pos(e.bottom)],
      [pos(e.left), pos(e.right)],
      [0, 0],
    ]);
  }
  return y;
}

/** Inserts stride-1 zeros after every row and column: [N,H,W,C] -> [N, H*sH, W*sW, C] (with trailing zeros). */
export function zeroUpsample(x: tf.Tensor4D, strideHeight: number, strideWidth: number): tf.Tensor4D {
  if (strideHeight === 1 && strideWidth === 1) return x;
  const [n, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, strideHeight - 1],
    [0, 0],
    [0, strideWidth - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [n, h * strideHeight, w * strideWidth, c]);
}

/**
 * dy of a strided convolution laid out for its input gradient: zero-upsampled by the strides and padded so a
 * stride-1 'valid' correlation with the flipped filter (dilated as in the forward pass) yields exactly the
 * input's shape. With effective filter size e, the forward pass reads padded rows s*i .. s*i+e-1 for output i.
 */
export function dyForInputGradient(dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const up = zeroUpsample(dy, info.strideHeight, info.strideWidth);
  const { top, left } = info.padInfo;
  const eh = info.effectiveFilterHeight;
  const ew = info.effectiveFilterWidth;
  return padOrCrop(up, {
    top: eh - 1 - top,
    bottom: info.inHeight + top - info.strideHeight * info.outHeight,
    left: ew - 1 - left,
    right: info.inWidth + left - info.strideWidth * info.outWidth,
  });
}

/** x padded (or cropped) to exactly the rows and columns the forward convolution reads. */
export function xForFilterGradient(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, left } = info.padInfo;
  const rows = info.strideHeight * (info.outHeight - 1) + info.effectiveFilterHeight;
  const cols = info.strideWidth * (info.outWidth - 1) + info.effectiveFilterWidth;
  return padOrCrop(x, { top, bottom: rows - info.inHeight - top, left, right: cols - info.inWidth - left });
}

/** Reads kernel inputs: the engine hands kernels the Tensor objects it was called with. */
export function tensorInput<R extends tf.Rank>(inputs: tf.NamedTensorInfoMap, name: string): tf.Tensor<R> {
  const t = inputs[name];
  if (!(t instanceof tf.Tensor)) throw new Error(`kernel input '${name}' is missing or is not a tensor`);
  return t as tf.Tensor<R>;
}

/**
 * [1, outH, outW, 1] factors window / (in-bounds cells of the window): turns a mean over the full window
 * (zero padding counted) into a mean over the input cells only (PyTorch's count_include_pad=False).
 */
export function paddingExcludedScale(info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  return tf.tensor4d(paddingExcludedFactors(info), [1, info.outHeight, info.outWidth, 1]);
}

/** paddingExcludedScale's outH x outW factors (row-major). */
export function paddingExcludedFactors(info: tf.backend_util.Conv2DInfo): Float32Array {
  const covered = (out: number, stride: number, pad: number, filter: number, input: number): number[] =>
    Array.from({ length: out }, (_, i) => Math.min(i * stride - pad + filter, input) - Math.max(i * stride - pad, 0));
  const rows = covered(info.outHeight, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight);
  const cols = covered(info.outWidth, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth);
  const window = info.filterHeight * info.filterWidth;
  const scale = new Float32Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => (scale[i * cols.length + j] = window / (r * c))));
  return scale;
}
