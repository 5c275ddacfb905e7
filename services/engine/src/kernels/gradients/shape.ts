import * as tf from '@tensorflow/tfjs-core';
import { asFloat, at, grad, one, zeros } from './util.js';

const size = (shape: number[]): number => tf.util.sizeFromShape(shape);

/** The dys of a multi-output kernel, with zeros for outputs that did not reach the loss. */
function filled(dy: tf.Tensor | tf.Tensor[], shapes: number[][]): tf.Tensor[] {
  const list = Array.isArray(dy) ? dy : [dy];
  return shapes.map((shape, i) => list[i] ?? tf.zeros(shape));
}

/** Output sizes of SplitV along its axis (a count of equal parts, or sizes with at most one -1). */
function splitSizes(total: number, numOrSizeSplits: number | number[]): number[] {
  if (typeof numOrSizeSplits === 'number') return new Array<number>(numOrSizeSplits).fill(total / numOrSizeSplits);
  const known = numOrSizeSplits.filter((s) => s !== -1).reduce((a, b) => a + b, 0);
  return numOrSizeSplits.map((s) => (s === -1 ? total - known : s));
}

/** Flat positions in x of every element a strided slice reads, in the order of its output. */
function stridedSliceSources(xShape: number[], attrs: tf.StridedSliceAttrs): Int32Array {
  const info = tf.slice_util.sliceInfo(
    xShape,
    attrs.begin,
    attrs.end,
    attrs.strides,
    attrs.beginMask,
    attrs.endMask,
    attrs.ellipsisMask,
    attrs.newAxisMask,
    attrs.shrinkAxisMask,
  );
  if (info.finalShapeSparse.length !== xShape.length && !info.isSimpleSlice) {
    // tfjs 4.22's forward pass reads the wrong elements in this case, on cpu and wasm alike.
    throw new Error(
      'gradient of stridedSlice: shrinkAxisMask/newAxisMask with strides other than 1 is unsupported; use slice + reshape',
    );
  }
  // begin, end and strides are canonical: one entry per axis of x, end exclusive in the stride's direction.
  const begin = xShape.map((_, d) => info.begin[d] ?? 0);
  const strides = xShape.map((_, d) => info.strides[d] ?? 1);
  const counts = xShape.map((_, d) =>
    Math.max(0, Math.ceil(((info.end[d] ?? 0) - (begin[d] ?? 0)) / (strides[d] ?? 1))),
  );
  const xStrides = [...tf.util.computeStrides(xShape), 1];
  const out = new Int32Array(size(counts));
  const loc = new Array<number>(counts.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let flat = 0;
    for (let d = 0; d < counts.length; d++)
      flat += ((begin[d] ?? 0) + (loc[d] ?? 0) * (strides[d] ?? 1)) * (xStrides[d] ?? 1);
    out[k] = flat;
    for (let d = counts.length - 1; d >= 0; d--) {
      loc[d] = (loc[d] ?? 0) + 1;
      if ((loc[d] ?? 0) < (counts[d] ?? 1)) break;
      loc[d] = 0;
    }
  }
  return out;
}

/** Gradient of GatherV2 (any axis and batchDims): a segment sum of dy into the gathered rows. */
function gatherGrad(dy: tf.Tensor, x: tf.Tensor, indices: tf.Tensor, attrs: tf.GatherV2Attrs): tf.Tensor {
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] ?? 0;
  const batchDims = attrs.batchDims < 0 ? attrs.batchDims + indices.rank : attrs.batchDims;
  const rows = x.shape[axis] ?? 1;
  const batch = size(x.shape.slice(0, batchDims));
  const outer = size(x.shape.slice(batchDims, axis));
  const inner = size(x.shape.slice(axis + 1));
  const picks = size(indices.shape.slice(batchDims));
  // dy is [batch, outer, picks, inner]; bring (batch, picks) together as the segment dimension.
  const data = tf.reshape(tf.transpose(tf.reshape(dy, [batch, outer, picks, inner]), [0, 2, 1, 3]), [
    batch * picks,
    outer * inner,
  ]);
  const offsets = tf.reshape(tf.mul(tf.range(0, batch, 1, 'int32'), tf.scalar(rows, 'int32')), [batch, 1]);
  const ids = tf.reshape(tf.add(tf.reshape(indices, [batch, picks]), offsets), [batch * picks]);
  const summed = tf.unsortedSegmentSum(data, ids as tf.Tensor1D, batch * rows);
  return tf.reshape(tf.transpose(tf.reshape(summed, [batch, rows, outer, inner]), [0, 2, 1, 3]), x.shape);
}

/** Gradients of the kernels that move, copy or select elements. */
export const shapeGradients: tf.GradConfig[] = [
  grad({
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.reshape(one(dy), at(saved, 0).shape) }),
  }),
  grad({
    kernelName: 'ExpandDims',
    inputsToSave: ['input'],
    gradFunc: (dy, saved) => ({ input: () => tf.reshape(one(dy), at(saved, 0).shape) }),
  }),
  grad({
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs: tf.TransposeAttrs) => {
      const inverse = new Array<number>(attrs.perm.length);
      attrs.perm.forEach((axis, i) => (inverse[axis] = i));
      return { x: () => tf.transpose(one(dy), inverse) };
    },
  }),
  grad({
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs: tf.ConcatAttrs) => {
      const axis = tf.util.parseAxisParam(attrs.axis, at(saved, 0).shape)[0] ?? 0;
      const parts = tf.split(
        one(dy),
        saved.map((t) => t.shape[axis] ?? 0),
        axis,
      );
      return Object.fromEntries(parts.map((part, i) => [String(i), () => part]));
    },
  }),
  grad({
    kernelName: 'Slice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.SliceAttrs) => {
      const x = at(saved, 0);
      const [begin = [], sizes = []] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size);
      const paddings = x.shape.map((n, i): [number, number] => [begin[i] ?? 0, n - (begin[i] ?? 0) - (sizes[i] ?? 0)]);
      return { x: () => tf.pad(one(dy), paddings) };
    },
  }),
  grad({
    kernelName: 'StridedSlice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.StridedSliceAttrs) => {
      const x = at(saved, 0);
      return {
        x: () => {
          // Scatter dy back to the positions it was read from (StridedSlice never reads a position twice).
          const sources = stridedSliceSources(x.shape, attrs);
          const flatDy = tf.reshape(one(dy), [sources.length]);
          const positions = tf.tensor2d(sources, [sources.length, 1], 'int32');
          return tf.reshape(tf.scatterND(positions, flatDy, [size(x.shape)]), x.shape);
        },
      };
    },
  }),
  grad({
    // x's shape follows from dy's and the paddings, so x is not kept alive for backprop.
    kernelName: 'PadV2',
    gradFunc: (dy, _saved, attrs: tf.PadV2Attrs) => {
      const d = one(dy);
      return {
        x: () =>
          tf.slice(
            d,
            attrs.paddings.map(([before]) => before),
            d.shape.map((n, i) => n - (attrs.paddings[i]?.[0] ?? 0) - (attrs.paddings[i]?.[1] ?? 0)),
          ),
      };
    },
  }),
  grad({
    kernelName: 'Pack',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs: tf.PackAttrs) => {
      const d = one(dy);
      const parts = tf.unstack(d, tf.util.parseAxisParam(attrs.axis, d.shape)[0]);
      return Object.fromEntries(saved.map((_, i) => [String(i), () => parts[i] ?? tf.zeros(at(saved, i).shape)]));
    },
  }),
  grad({
    kernelName: 'Unpack',
    inputsToSave: ['value'],
    gradFunc: (dy, saved, attrs: tf.UnpackAttrs) => {
      const value = at(saved, 0);
      const axis = tf.util.parseAxisParam(attrs.axis, value.shape)[0] ?? 0;
      const partShape = value.shape.filter((_, i) => i !== axis);
      const parts = filled(dy, new Array<number[]>(value.shape[axis] ?? 0).fill(partShape));
      return { value: () => tf.stack(parts, axis) };
    },
  }),
  grad({
    kernelName: 'SplitV',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.SplitVAttrs) => {
      const x = at(saved, 0);
      const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] ?? 0;
      const shapes = splitSizes(x.shape[axis] ?? 0, attrs.numOrSizeSplits).map((n) =>
        x.shape.map((s, i) => (i === axis ? n : s)),
      );
      return { x: () => tf.concat(filled(dy, shapes), axis) };
    },
  }),
  grad({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs: tf.TileAttrs) => {
      const x = at(saved, 0);
      // View dy as [rep0, n0, rep1, n1, ...] and sum over the repetitions.
      const split = x.shape.flatMap((n, i) => [attrs.reps[i] ?? 1, n]);
      const repAxes = x.shape.map((_, i) => 2 * i);
      return { x: () => tf.reshape(tf.sum(tf.reshape(one(dy), split), repAxes), x.shape) };
    },
  }),
  grad({
    kernelName: 'Reverse',
    gradFunc: (dy, _saved, attrs: tf.ReverseAttrs) => ({ x: () => tf.reverse(one(dy), attrs.dims) }),
  }),
  grad({
    kernelName: 'SpaceToBatchND',
    gradFunc: (dy, _saved, attrs: tf.SpaceToBatchNDAttrs) => ({
      x: () => tf.batchToSpaceND(one(dy), attrs.blockShape, attrs.paddings),
    }),
  }),
  grad({
    kernelName: 'BatchToSpaceND',
    gradFunc: (dy, _saved, attrs: tf.BatchToSpaceNDAttrs) => ({
      x: () => tf.spaceToBatchND(one(dy), attrs.blockShape, attrs.crops),
    }),
  }),
  grad({
    kernelName: 'GatherV2',
    inputsToSave: ['x', 'indices'],
    gradFunc: (dy, saved, attrs: tf.GatherV2Attrs) => {
      const [x, indices] = [at(saved, 0), at(saved, 1)];
      return { x: () => gatherGrad(one(dy), x, indices, attrs), indices: () => zeros(indices) };
    },
  }),
  grad({
    kernelName: 'UnsortedSegmentSum',
    inputsToSave: ['segmentIds'],
    gradFunc: (dy, saved) => {
      const ids = at(saved, 0);
      return {
        x: () => {
          // Rows of x with an out-of-range id were dropped, so they get no gradient.
          const d = one(dy);
          const segments = d.shape[0] ?? 0;
          const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, segments));
          const rows = tf.gather(d, tf.clipByValue(ids, 0, Math.max(segments - 1, 0)));
          const mask = tf.reshape(asFloat(valid), [...ids.shape, ...d.shape.slice(1).map(() => 1)]);
          return tf.mul(rows, mask);
        },
        segmentIds: () => zeros(ids),
      };
    },
  }),
];
