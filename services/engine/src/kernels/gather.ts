import * as tf from '@tensorflow/tfjs-core';
import { tensorInput } from './conv-geometry.js';
import { copyGather } from './wasm-copy.js';

const size = (shape: number[]): number => tf.util.sizeFromShape(shape);

/**
 * gather with batchDims > 0 as a plain gather (batchDims 0) of rows: each batch's rows are numbered after the
 * previous batch's, so the batch index is folded into the indices. (The wasm GatherV2 returns garbage when
 * batchDims > 0 in tfjs 4.22, e.g. when picking each example's true-class logit.)
 */
export function gatherWithBatchDims(x: tf.Tensor, indices: tf.Tensor, axis: number, batchDims: number): tf.Tensor {
  return tf.tidy(() => {
    const batch = size(x.shape.slice(0, batchDims));
    const outer = size(x.shape.slice(batchDims, axis));
    const rows = x.shape[axis] ?? 1;
    const inner = size(x.shape.slice(axis + 1));
    const picks = size(indices.shape.slice(batchDims));
    const table = tf.reshape(tf.transpose(tf.reshape(x, [batch, outer, rows, inner]), [0, 2, 1, 3]), [
      batch * rows,
      outer * inner,
    ]);
    const offsets = tf.reshape(tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(rows, 'int32')), [batch, 1]);
    const flatIds = tf.reshape(tf.add(tf.reshape(indices, [batch, picks]), offsets), [batch * picks]);
    const picked = tf.transpose(tf.reshape(tf.gather(table, flatIds, 0), [batch, picks, outer, inner]), [0, 2, 1, 3]);
    const shape = [...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)];
    return tf.reshape(picked, shape);
  });
}

/** wasm GatherV2: batchDims 0 as copies (copyGather), batchDims > 0 fixed (gatherWithBatchDims). */
export function gatherKernel(native: tf.KernelFunc): Omit<tf.KernelConfig, 'backendName'> {
  return {
    kernelName: 'GatherV2',
    kernelFunc: (args) => {
      const { axis, batchDims } = args.attrs as unknown as tf.GatherV2Attrs;
      const [x, indices] = [tensorInput(args.inputs, 'x'), tensorInput(args.inputs, 'indices')];
      const $batchDims = batchDims < 0 ? batchDims + indices.rank : batchDims;
      if ($batchDims === 0) {
        if (x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') return native(args);
        return copyGather(args.backend, x, indices, tf.util.parseAxisParam(axis, x.shape)[0] ?? 0);
      }
      return gatherWithBatchDims(x, indices, tf.util.parseAxisParam(axis, x.shape)[0] ?? 0, $batchDims);
    },
  };
}
