import * as tf from '@tensorflow/tfjs-core';
import { bytesPerElement, heapView, memoryOffset, wasmBackend, type WasmBackend } from './wasm-heap.js';
import { simdKernels } from './wasm-simd.js';

type Kernel = Omit<tf.KernelConfig, 'backendName'>;
/**
 * Copies a box of a tensor (shape `shape`, corner `begin`, extent `size`) to a dense tensor, or the reverse
 * (`scatter`: a dense tensor into the box), both in the backend's heap at byte offsets `boxBase` and `denseBase`,
 * `bytes` per element. Trailing axes the box spans fully merge with the axis before them, so the copy is a set of
 * contiguous runs; so do outer axes the box spans fully. The innermost outer axis is one SIMD kernel call
 * (wasm/kernels.ts copyRuns), the rest an odometer here: a channel split of an NHWC batch is one call.
 */
function copyBox(
  backend: WasmBackend,
  boxBase: number,
  denseBase: number,
  shape: number[],
  begin: number[],
  size: number[],
  bytes: number,
  scatter: boolean,
): void {
  if (size.some((n) => n === 0)) return;
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
  const strides = [...tf.util.computeStrides(dims), 1].map((v) => v * bytes);
  let box = boxBase + b.reduce((acc, v, d) => acc + v * (strides[d] as number), 0);
  // Outer axes (all but the run's) as [extent, byte stride], merged where the box spans the inner one fully.
  const outer: Array<[number, number]> = [];
  for (let d = 0; d < rank - 1; d++) {
    const prev = outer[outer.length - 1];
    if (prev && s[d] === dims[d]) {
      prev[0] *= s[d] as number;
      prev[1] = strides[d] as number;
    } else {
      outer.push([s[d] as number, strides[d] as number]);
    }
  }
  const runBytes = (s[rank - 1] as number) * bytes;
  const [count, stride] = outer.pop() ?? [1, 0];
  const kernels = simdKernels(backend);
  const index = new Array<number>(outer.length).fill(0);
  const rows = outer.reduce((acc, [n]) => acc * n, 1);
  let dense = denseBase;
  for (let r = 0; r < rows; r++) {
    if (scatter) kernels.copyRuns(dense, runBytes, box, stride, count, runBytes);
    else kernels.copyRuns(box, stride, dense, runBytes, count, runBytes);
    dense += count * runBytes;
    // Odometer over the remaining outer axes: advance the last one, carrying into earlier ones.
    for (let d = outer.length - 1; d >= 0; d--) {
      const [extent, step] = outer[d] as [number, number];
      if ((index[d] = (index[d] as number) + 1) < extent) {
        box += step;
        break;
      }
      box -= step * (extent - 1);
      index[d] = 0;
    }
  }
}

function output(backend: WasmBackend, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return backend.makeOutput(shape, dtype);
}

function slice(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = output(backend, size, x.dtype);
  copyBox(
    backend,
    memoryOffset(backend, x),
    memoryOffset(backend, out),
    x.shape,
    begin,
    size,
    bytesPerElement(x.dtype),
    false,
  );
  return out;
}

/**
 * GatherV2 with batchDims 0 on wasm as copies in the heap: x as [outer, rows, inner], every run of consecutive
 * indices one copyRuns call over the outer axis. The native kernel works element by element (the scorer's gather of
 * supernet states along the batch, a few runs of whole images, took ~300 ms a call on the tiny supernet). An index
 * outside [0, rows) is an error, as on cpu.
 */
export function copyGather(backend: unknown, x: tf.TensorInfo, indices: tf.TensorInfo, axis: number): tf.TensorInfo {
  const wasm = wasmBackend(backend);
  const rows = x.shape[axis] as number;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  // Copied out of the heap before allocating (a growing heap detaches older views).
  const ids = Array.from(heapView(wasm, indices));
  for (const id of ids) {
    if (!(id >= 0 && id < rows)) throw new Error(`GatherV2: index ${id} is not in [0, ${rows - 1}]`);
  }
  const out = output(wasm, [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  const rowBytes = inner * bytesPerElement(x.dtype);
  if (outer === 0 || rowBytes === 0) return out;
  const [px, po] = [memoryOffset(wasm, x), memoryOffset(wasm, out)];
  const kernels = simdKernels(wasm);
  for (let k = 0; k < ids.length;) {
    let end = k + 1;
    while (end < ids.length && ids[end] === (ids[end - 1] as number) + 1) end++;
    const first = ids[k] as number;
    kernels.copyRuns(
      px + first * rowBytes,
      rows * rowBytes,
      po + k * rowBytes,
      ids.length * rowBytes,
      outer,
      (end - k) * rowBytes,
    );
    k = end;
  }
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
    // Repeats along the first axis only (the scorer's batch of groups, its labels) as whole copies of x; other
    // repetitions take the native kernel, which works element by element (~140 ms for the tiny supernet's stem).
    kernelName: 'Tile',
    wrap: (native) =>
      copyKernel('Tile', (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        const { reps } = args.attrs as unknown as tf.TileAttrs;
        if (reps.length !== x.shape.length || reps.slice(1).some((r) => r !== 1)) return native(args);
        const wasm = wasmBackend(args.backend);
        const times = reps[0] as number;
        const out = output(
          wasm,
          x.shape.map((d, i) => (i === 0 ? d * times : d)),
          x.dtype,
        );
        const bytes = tf.util.sizeFromShape(x.shape) * bytesPerElement(x.dtype);
        if (bytes > 0 && times > 0) {
          simdKernels(wasm).copyRuns(memoryOffset(wasm, x), 0, memoryOffset(wasm, out), bytes, times, bytes);
        }
        return out;
      })(native),
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
      const bytes = bytesPerElement(first.dtype);
      const begin = outShape.map(() => 0);
      for (const t of all) {
        if (tf.util.sizeFromShape(t.shape) > 0) {
          copyBox(wasm, memoryOffset(wasm, out), memoryOffset(wasm, t), outShape, begin, t.shape, bytes, true);
        }
        begin[axis] = (begin[axis] as number) + (t.shape[axis] as number);
      }
      return out;
    }),
  },
];
