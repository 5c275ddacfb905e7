import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) that our wasm kernels use to reach tensor memory. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array; HEAP32: Int32Array; HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Narrows a kernel's backend to the wasm backend's internals; throws if it is not one. */
export function wasmBackend(backend: unknown): WasmBackend {
  const b = backend as Partial<WasmBackend> | undefined;
  if (!b?.wasm?.HEAPU8 || !b.dataIdMap || typeof b.makeOutput !== 'function') {
    throw new Error('this kernel runs only on the wasm backend');
  }
  return b as WasmBackend;
}

/** Bytes per element of the dtypes wasm stores in its heap. */
export function bytesPerElement(dtype: tf.DataType): 1 | 4 {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`wasm kernels do not handle ${dtype} tensors`);
}

/** Byte offset of a tensor's data in the heap. */
export function memoryOffset(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor data is not on the wasm backend');
  return data.memoryOffset;
}

/**
 * A view of a tensor's elements as raw words (Int32Array for 4-byte dtypes, so float bits are copied exactly;
 * Uint8Array for bool). Take views only after allocating every output: growing the heap detaches old views.
 */
export function heapView(backend: WasmBackend, t: tf.TensorInfo): Int32Array | Uint8Array {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor data is not on the wasm backend');
  const size = tf.util.sizeFromShape(t.shape);
  return bytesPerElement(t.dtype) === 4
    ? new Int32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, size)
    : new Uint8Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, size);
}

/** A float32 tensor's elements in the heap (same caveat as heapView). */
export function heapFloats(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor data is not on the wasm backend');
  return new Float32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, tf.util.sizeFromShape(t.shape));
}
