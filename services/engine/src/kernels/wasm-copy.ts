import * as tf from '@tensorflow/tfjs-core';
import { bytesPerElement, memoryOffset, wasmBackend, type WasmBackend } from './wasm-heap.js';

type Kernel = Omit<tf.KernelConfig, 'backendName'>;
/**
 * Copies a box of a tensor (shape `shape`, corner `begin`, extent `size`) to a dense tensor, or the reverse
 * (`scatter`: a dense tensor into the box). Both live in `heap`, at element offsets `boxBase` and `denseBase`.
 * Trailing axes the box spans fully merge with the axis before them, so the copy is a loop of contiguous runs,
 * each one native copyWithin (no allocation; faster than an element loop even for runs of a few elements).
 */
function copyBox(
  heap: Int32Array | Uint8Array,
  boxBase: number,
  denseBase: number,
  shape: number[],
  begin: number[],
  size: number[],
  scatter: boolean,
): void {
  const dims = [...shape];
  const b = [...begin];
  const s = [...size];
  while (dims.length > 1) {
    const last = dims.length - 1;
    if (s[last] !== dims[last]) break;
    const inner = dims[last] as number;
    dims.pop();
    b.pop();
    s.pop();
    dims[last - 1] = (dims[last - 1] as number) * inner;
    b[last - 1] = (b[last - 1] as number) * inner;
    s[last - 1] = (s[last - 1] as number) * inner;
  }
  const rank = dims.length;
  const run = s[rank - 1] as number;
  const strides = tf.util.computeStrides(dims);
  const outer = s.slice(0, rank - 1);
  const runs = tf.util.sizeFromShape(outer);
  if (run === 0 || runs === 0) return;
  const index = new Array<number>(rank - 1).fill(0);
  let box = boxBase + b.reduce((acc, v, d) => acc + v * (d < rank - 1 ? (strides[d] as number) : 1), 0);
  let dense = denseBase;
  for (let r = 0; r < runs; r++) {
    if (scatter) heap.copyWithin(box, dense, dense + run);
    else heap.copyWithin(dense, box, box + run);
    dense += run;
    // Odometer over the outer axes: advance the last one, carrying into earlier ones.
    for (let d = rank - 2; d >= 0; d--) {
      const stride = strides[d] as number;
      if ((index[d] = (index[d] as number) + 1) < (outer[d] as number)) {
        box += stride;
        break;
      }
      box -= stride * ((outer[d] as number) - 1);
      index[d] = 0;
    }
  }
}

/** The heap as elements of `dtype`'s width, and a tensor's element offset in it. */
function elements(
  backend: WasmBackend,
  dtype: tf.DataType,
): { heap: Int32Array | Uint8Array; offset: (t: tf.TensorInfo) => number } {
  const wide = bytesPerElement(dtype) === 4;
  // Read the views only now: allocating an output may have grown (and replaced) the heap.
  const heap = wide ? backend.wasm.HEAP32 : backend.wasm.HEAPU8;
  return { heap, offset: (t) => memoryOffset(backend, t) / (wide ? 4 : 1) };
}

function output(backend: WasmBackend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

function slice(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = output(backend, size, x.dtype);
  const { heap, offset } = elements(backend, x.dtype);
  copyBox(heap, offset(x), offset(out), x.shape, begin, size, false);
  return out;
}

/** Kernels whose native wasm versions copy through JS arrays (and the Identity copy that need not happen). */
function copyKernel(kernelName: string, run: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | tf.TensorInfo[]) {
  return (native: tf.KernelFunc): Kernel => ({
    kernelName,
    kernelFunc: (args) => {
      const inputs = Object.values(args.inputs) as tf.TensorInfo[];
      // Strings live in JS, not in the heap: the native kernel handles them.
      if (inputs.some((t) => t.dtype === 'string' || t.dtype === 'complex64')) return native(args);
      return run(args);
    },
  });
}

/**
 * wasm kernels for copies: Identity shares its input's memory (tensors are immutable; cpu does the same) instead
 * of copying it, which on wasm doubled every tensor saved for backprop; Slice, SplitV and Concat copy in place
 * in the heap. The native ones read the whole input out into a JS array and copy it row by row with an
 * allocation per row (a 4-way channel split of a [32, 32, 32, 144] tensor took ~200 ms; this takes a few).
 */
export const wasmCopyKernels: Array<{ kernelName: string; wrap: (native: tf.KernelFunc) => Kernel }> = [
  {
    kernelName: 'Identity',
    wrap: copyKernel('Identity', ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      wasmBackend(backend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }),
  },
  {
    kernelName: 'Slice',
    wrap: copyKernel('Slice', ({ inputs, backend, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { begin, size } = attrs as unknown as tf.SliceAttrs;
      const [b, s] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
      return slice(wasmBackend(backend), x, b, s);
    }),
  },
  {
    kernelName: 'SplitV',
    wrap: copyKernel('SplitV', ({ inputs, backend, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
      const $axis = tf.util.parseAxisParam(axis, x.shape)[0] ?? 0;
      const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
      const wasm = wasmBackend(backend);
      const begin = x.shape.map(() => 0);
      return sizes.map((n) => {
        const size = x.shape.map((d, i) => (i === $axis ? n : d));
        const part = slice(wasm, x, [...begin], size);
        begin[$axis] = (begin[$axis] as number) + n;
        return part;
      });
    }),
  },
  {
    kernelName: 'Concat',
    wrap: copyKernel('Concat', ({ inputs, backend, attrs }) => {
      const all = Object.values(inputs) as tf.TensorInfo[];
      const first = all[0];
      if (!first) throw new Error('concat needs at least one tensor');
      const axis = tf.util.parseAxisParam((attrs as unknown as tf.ConcatAttrs).axis, first.shape)[0] ?? 0;
      tf.backend_util.assertParamsConsistent(
        all.map((t) => t.shape),
        axis,
      );
      const outShape = tf.backend_util.computeOutShape(
        all.map((t) => t.shape),
        axis,
      );
      const wasm = wasmBackend(backend);
      const out = output(wasm, outShape, first.dtype);
      const { heap, offset } = elements(wasm, first.dtype);
      const begin = outShape.map(() => 0);
      for (const t of all) {
        if (tf.util.sizeFromShape(t.shape) > 0) copyBox(heap, offset(out), offset(t), outShape, begin, t.shape, true);
        begin[axis] = (begin[axis] as number) + (t.shape[axis] as number);
      }
      return out;
    }),
  },
];
