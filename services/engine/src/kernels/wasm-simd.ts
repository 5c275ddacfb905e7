import type * as tf from '@tensorflow/tfjs-core';
import { memoryOffset, type WasmBackend } from './wasm-heap.js';
import { KERNELS_WASM_BASE64 } from './wasm-simd.generated.js';

/** The exports of wasm/kernels.ts: every pointer is a byte offset into tfjs-backend-wasm's heap. */
export interface SimdKernels {
  gemmTN(a: number, b: number, out: number, k: number, m: number, n: number): void;
  gemmNN(a: number, b: number, out: number, m: number, k: number, n: number, bias: number): void;
  /** dx of a max pool: x, y, dy, dx, then simdGeometry's numbers. */
  maxPoolGrad(x: number, y: number, dy: number, dx: number, ...geometry: number[]): void;
  /** Depthwise forward or gradient (`mode` one of the DEPTHWISE_ globals): a, b, out, then simdGeometry's numbers. */
  depthwise(mode: number, a: number, b: number, out: number, ...geometry: number[]): void;
  DEPTHWISE_FORWARD: { value: number };
  DEPTHWISE_INPUT_GRAD: { value: number };
  DEPTHWISE_FILTER_GRAD: { value: number };
  copyRuns(src: number, srcStride: number, dst: number, dstStride: number, count: number, runBytes: number): void;
  /** im2col: x, cols, then simdGeometry's numbers. */
  im2col(x: number, cols: number, ...geometry: number[]): void;
  reluGrad(dy: number, y: number, dx: number, n: number): void;
  /** One SGD step: w, g, buf (0: none), nw, nb (0: none), n, scale, decay, momentum, rate, SGD_ flags. */
  sgdStep(
    w: number,
    g: number,
    buf: number,
    nw: number,
    nb: number,
    n: number,
    scale: number,
    decay: number,
    mom: number,
    rate: number,
    flags: number,
  ): void;
  SGD_SCALE: { value: number };
  SGD_DECAY: { value: number };
  SGD_BUFFER: { value: number };
  SGD_WRITE_BUFFER: { value: number };
  weightedSum(terms: number, weights: number, n: number, out: number, groups: number, groupSize: number): void;
  weightedSumGrad(dy: number, weights: number, n: number, outs: number, groups: number, groupSize: number): void;
  periodicSums(
    a: number,
    b: number,
    c: number,
    pA: number,
    n: number,
    period: number,
    out64: number,
    both: number,
  ): void;
  periodicCenter(x: number, c: number, y: number, pM: number, pF: number, pS: number, n: number, period: number): void;
  periodicCenterScale(x: number, y: number, pM: number, pF: number, n: number, period: number): void;
  channelMeans(x: number, rows: number, c: number, pM: number, acc64: number): void;
  periodicAffine(
    a: number,
    b: number,
    out: number,
    pA: number,
    pB: number,
    pC: number,
    n: number,
    period: number,
  ): void;
}

/** The parts of the WebAssembly API used here (the engine's TypeScript libraries do not declare it). */
export interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): Array<{ module: string; name: string; kind: string }>;
  };
  Instance: new (module: object, imports: object) => { exports: object };
}
export const WASM = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The module's bytes. */
export function simdModuleBytes(): Uint8Array {
  return Buffer.from(KERNELS_WASM_BASE64, 'base64');
}

let compiled: object | undefined;
const instances = new WeakMap<object, SimdKernels>();

/**
 * Our SIMD kernels instantiated over `backend`'s own memory (one instance per backend memory). The module has no
 * memory, data or stack of its own, so it reads and writes tensors in place and only the outputs it is handed.
 */
export function simdKernels(backend: WasmBackend): SimdKernels {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WASM.Memory)) throw new Error("tfjs-backend-wasm's memory is not reachable");
  let kernels = instances.get(memory);
  if (!kernels) {
    compiled ??= new WASM.Module(simdModuleBytes());
    kernels = new WASM.Instance(compiled, { env: { memory } }).exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** Byte offsets of tensors in the heap, in argument order. */
export function pointers(backend: WasmBackend, ...tensors: tf.TensorInfo[]): number[] {
  return tensors.map((t) => memoryOffset(backend, t));
}

/** The geometry our SIMD kernels take after their tensors: sizes, strides, dilations and top/left padding. */
export function simdGeometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Which of the depthwise walks to run: y from (x, filter), dx from (dy, filter), or dfilter from (x, dy). */
export type DepthwiseMode = 'DEPTHWISE_FORWARD' | 'DEPTHWISE_INPUT_GRAD' | 'DEPTHWISE_FILTER_GRAD';

/** Runs the SIMD depthwise kernel (channel multiplier 1) in `mode` into `out`, which it overwrites. */
export function simdDepthwise(
  backend: WasmBackend,
  mode: DepthwiseMode,
  [a, b, out]: [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo],
  info: tf.backend_util.Conv2DInfo,
): void {
  const kernels = simdKernels(backend);
  const [pa, pb, po] = pointers(backend, a, b, out) as [number, number, number];
  kernels.depthwise(kernels[mode].value, pa, pb, po, ...simdGeometry(info));
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Scratch space in the heap of the periodic SIMD passes (periodicSums, periodicAffine) over an NHWC tensor of
 * `channels` channels: float64 lane sums and three lane patterns of per-channel values.
 */
export class PeriodicLanes {
  readonly period: number;
  private readonly scratch: tf.TensorInfo;
  readonly out64: number;
  readonly patterns: [number, number, number];

  constructor(
    private readonly wasm: WasmBackend,
    readonly channels: number,
  ) {
    // lcm(C, 4): every lane keeps one channel and every row of lanes is whole vectors.
    this.period = (channels * 4) / gcd(channels, 4);
    const p = this.period;
    // Float64 sums first (two sets, periodicSums' `both`): the heap's allocations are 8-byte aligned.
    this.scratch = wasm.makeOutput([7 * p], 'float32');
    const [base] = pointers(wasm, this.scratch) as [number];
    this.out64 = base;
    this.patterns = [base + 16 * p, base + 20 * p, base + 24 * p];
  }

  /** Per-channel totals of the lane sums the last periodicSums wrote (`set` 1: the second set, of `both`). */
  channelSums(set: 0 | 1 = 0): Float64Array {
    const lanes = new Float64Array(this.wasm.wasm.HEAPU8.buffer, this.out64 + set * 8 * this.period, this.period);
    const sums = new Float64Array(this.channels);
    for (let q = 0; q < this.period; q++)
      sums[q % this.channels] = (sums[q % this.channels] as number) + (lanes[q] as number);
    return sums;
  }

  /** Writes per-channel values into pattern `k` (0, 1 or 2) at every lane. */
  setPattern(k: 0 | 1 | 2, perChannel: ArrayLike<number>): void {
    const lanes = new Float32Array(this.wasm.wasm.HEAPU8.buffer, this.patterns[k], this.period);
    for (let q = 0; q < this.period; q++) lanes[q] = perChannel[q % this.channels] as number;
  }

  dispose(): void {
    this.wasm.disposeData(this.scratch.dataId, true);
  }
}
