import * as tf from '@tensorflow/tfjs-core';
import { fgsm } from '../attacks/fgsm.js';
import type { Classifier } from '../attacks/types.js';

/**
 * FGSM examples crafted in parts of at most `part` images and concatenated: the input gradient of the paper's
 * supernet needs about 3 GB of the wasm heap (which ends at 4 GB) at 64 images. With batch statistics, each part
 * is normalised on its own.
 */
export async function fgsmInParts(
  model: Classifier,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  epsilon: number,
  part: number | null,
): Promise<tf.Tensor4D> {
  const n = y.shape[0];
  const size = part ?? n;
  if (size >= n) return fgsm(model, x, y, { epsilon });
  const pieces: tf.Tensor4D[] = [];
  for (let start = 0; start < n; start += size) {
    const count = Math.min(size, n - start);
    const [xs, ys] = [tf.slice(x, start, count), tf.slice(y, start, count)];
    try {
      pieces.push(await fgsm(model, xs, ys, { epsilon }));
    } finally {
      tf.dispose([xs, ys]);
    }
  }
  const out = tf.concat(pieces) as tf.Tensor4D;
  tf.dispose(pieces);
  return out;
}
