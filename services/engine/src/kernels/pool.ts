import * as tf from '@tensorflow/tfjs-core';
import { paddingExcludedFactors } from './conv-geometry.js';
import { scaleByPosition } from './position-scale.js';

/**
 * k x k average pooling with `pad` zeros on each side that divides each window by its count of real
 * (non-padding) cells, as PyTorch's count_include_pad=False; output sizes round down, as PyTorch's do.
 * With padding it is a depthwise convolution whose taps are all 1 / (kh kw) (padding handled by the convolution
 * itself, so no padded copy of x) times a per-position scale window / count (position-scale.ts); its gradient is
 * that of those two ops (the scale is a constant), which hold on every backend and are single kernels on wasm.
 */
export function avgPoolExcludePad(
  x: tf.Tensor4D,
  kernel: number | [number, number],
  stride: number | [number, number],
  pad: number,
): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`avgPoolExcludePad: x must be rank 4 (NHWC), got shape [${x.shape.join(', ')}]`);
  const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  // PyTorch's limit: a larger pad could leave a window with no real cell to average.
  if (!Number.isInteger(pad) || pad < 0 || 2 * pad > Math.min(kh, kw)) {
    throw new Error(`avgPoolExcludePad: pad must be an integer in [0, kernel / 2], got ${pad} for kernel ${kh}x${kw}`);
  }
  return tf.tidy(() => {
    if (pad === 0) return tf.avgPool(x, [kh, kw], stride, 'valid');
    const edges: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
    // Explicit edges: with a numeric pad, tfjs 4.22 sizes both axes by the window's height and stride.
    const info = tf.backend_util.computePool2DInfo(x.shape, [kh, kw], stride, 1, edges, 'floor');
    // Means over the full window (padding counted), rescaled by window / count.
    const taps = tf.fill([kh, kw, x.shape[3], 1], 1 / (kh * kw)) as tf.Tensor4D;
    return scaleByPosition(tf.depthwiseConv2d(x, taps, stride, edges), paddingExcludedFactors(info));
  });
}
