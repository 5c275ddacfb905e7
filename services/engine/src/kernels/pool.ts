import * as tf from '@tensorflow/tfjs-core';
import { padOrCrop, paddingExcludedScale, zeroUpsample } from './conv-geometry.js';

/**
 * k x k average pooling with `pad` zeros on each side that divides each window by its count of real
 * (non-padding) cells, as PyTorch's count_include_pad=False; output sizes round down, as PyTorch's do.
 * Built from an explicit pad, a 'valid' pool and a per-position rescale (window / count), so forward and
 * backward agree on every backend whatever its padded AvgPool and AvgPoolGrad kernels assume. With padding, the
 * gradient is written out (it saves nothing but the scale): each input cell receives the rescaled dy of every
 * window over it, a stride-1 'valid' average pool of the stride-upsampled, shifted dy.
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
    const [, h, w] = x.shape;
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
      const scale = paddingExcludedScale(info);
      save([scale]);
      return {
        value: tf.mul(tf.avgPool(tf.pad(input, edges), [kh, kw], stride, 'valid'), scale),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const up = zeroUpsample(
            tf.mul(dy, saved[0] as tf.Tensor4D) as tf.Tensor4D,
            info.strideHeight,
            info.strideWidth,
          );
          const [, uh, uw] = up.shape;
          const shifted = padOrCrop(up, {
            top: kh - 1 - pad,
            bottom: h + pad - uh,
            left: kw - 1 - pad,
            right: w + pad - uw,
          });
          return [tf.avgPool(shifted, [kh, kw], 1, 'valid')];
        },
      };
    });
    return op(x) as tf.Tensor4D;
  });
}
