/**
 * A training step's gradients summed over a pool's engine threads, with the squares gradient clipping needs, the
 * work split between the threads and no memory allocated per step.
 *
 * Each thread copies its gradients (of its part of the batch) into its own slot of shared memory. After one barrier,
 * thread r sums the slots of its share of the parameters (whole parameters, contiguous, about 1/N of the values) in
 * rank order in float64 and rounds once to float32, as the reducer summed whole gradients before; in the same pass
 * it adds up each of its parameters' squares with gradientClip's roundings. After a second barrier every thread
 * reads the whole summed gradient, and the squares fold in parameter order (clipFromSquares), so every thread gets
 * the same gradient and the same clip factor, bit for bit, as one thread summing and squaring everything.
 *
 * Before, every thread summed the whole gradient into a fresh float64 vector (17 MB per step on the paper's
 * evaluation network), copied it into another, read every gradient twice more into fresh arrays (once for the
 * norm) and squared it all again: duplicated work and garbage that V8's collector threads then worked through
 * beside the engine threads (about 130 ms of CPU per step of LRNAS_C10 with two threads, 5 % of the step).
 */
import { Barrier, type BarrierTime } from './reducer.js';

/** Shared memory of one pool's gradient exchange; created by the pool, handed to every thread. */
export interface GradientMemory {
  /** The barrier's state (reducer.ts's layout). */
  control: SharedArrayBuffer;
  /** float32: `size` slots of every thread's gradient, then the summed gradient, each `capacity` values. */
  data: SharedArrayBuffer;
  /** float64 per parameter: its summed gradient's sum of squares. */
  squares: SharedArrayBuffer;
  size: number;
  /** Values of each parameter, in the order every thread lists them. */
  sizes: number[];
}

/** Allocates the exchange of `size` threads over parameters of `sizes` values each. */
export function createGradientMemory(size: number, sizes: number[]): GradientMemory {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`exchange size must be a positive integer, got ${size}`);
  if (!sizes.every((n) => Number.isInteger(n) && n >= 0)) throw new RangeError('parameter sizes must be integers');
  const capacity = sizes.reduce((a, b) => a + b, 0);
  return {
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(Math.max(1, (size + 1) * capacity) * Float32Array.BYTES_PER_ELEMENT),
    squares: new SharedArrayBuffer(Math.max(1, sizes.length) * Float64Array.BYTES_PER_ELEMENT),
    size,
    sizes: [...sizes],
  };
}

/**
 * The parameters each rank sums: rank r takes [first[r], first[r + 1]), the parameters whose values start in
 * r/size .. (r+1)/size of the whole vector.
 */
export function shareBoundaries(sizes: readonly number[], size: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const first = [0];
  let p = 0;
  let offset = 0;
  for (let r = 1; r < size; r++) {
    const limit = (r * total) / size;
    while (p < sizes.length && offset < limit) offset += sizes[p++] as number;
    first.push(p);
  }
  first.push(sizes.length);
  return first;
}

/**
 * Sums `slots` (the float32 slots of `size` threads, `capacity` apart, then the output at size * capacity) over
 * values [from, to): sum = float32 of the float64 sum in rank order. Returns the float64 sum of the float32 squares of
 * the rounded sums (each square rounded to float32), as gradientClip adds them.
 */
export function sumRange(slots: Float32Array, size: number, capacity: number, from: number, to: number): number {
  const out = size * capacity;
  let squares = 0;
  if (size === 2) {
    // The pool's usual case, without the inner loop.
    for (let i = from; i < to; i++) {
      const v = Math.fround((slots[i] as number) + (slots[capacity + i] as number));
      slots[out + i] = v;
      squares += Math.fround(v * v);
    }
    return squares;
  }
  for (let i = from; i < to; i++) {
    let s = 0;
    for (let r = 0; r < size; r++) s += slots[r * capacity + i] as number;
    const v = Math.fround(s);
    slots[out + i] = v;
    squares += Math.fround(v * v);
  }
  return squares;
}

/** One thread's end of the exchange. */
export class GradientExchange {
  readonly #barrier: Barrier;
  readonly #data: Float32Array;
  readonly #squares: Float64Array;
  readonly #offsets: number[];
  readonly #capacity: number;
  readonly #first: number;
  readonly #end: number;

  constructor(
    readonly memory: GradientMemory,
    readonly rank: number,
    timeoutMs?: number,
  ) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= memory.size) {
      throw new RangeError(`exchange rank must be in 0..${memory.size - 1}, got ${rank}`);
    }
    this.#barrier = new Barrier(memory.control, memory.size, timeoutMs);
    this.#data = new Float32Array(memory.data);
    this.#squares = new Float64Array(memory.squares);
    this.#offsets = [0];
    for (const n of memory.sizes) this.#offsets.push((this.#offsets[this.#offsets.length - 1] as number) + n);
    this.#capacity = this.#offsets[memory.sizes.length] as number;
    const share = shareBoundaries(memory.sizes, memory.size);
    this.#first = share[rank] as number;
    this.#end = share[rank + 1] as number;
  }

  /** Number of parameters. */
  get parameters(): number {
    return this.memory.sizes.length;
  }

  /** Where this thread writes parameter p's gradient before `reduce`. */
  slot(p: number): Float32Array {
    const at = this.rank * this.#capacity + (this.#offsets[p] as number);
    return this.#data.subarray(at, at + (this.memory.sizes[p] as number));
  }

  /**
   * Sums every thread's slots (each thread calls it once its slots are written); returns the sum of squares of each
   * summed parameter (for clipFromSquares). The summed gradients are then `summed(p)` until the next call.
   */
  reduce(): Float64Array {
    this.#barrier.wait();
    this.sumShare();
    this.#barrier.wait();
    return this.#squares;
  }

  /** reduce's work between its two barriers: this rank's share of the sums and squares (public for tests). */
  sumShare(): void {
    for (let p = this.#first; p < this.#end; p++) {
      const from = this.#offsets[p] as number;
      this.#squares[p] = sumRange(this.#data, this.memory.size, this.#capacity, from, this.#offsets[p + 1] as number);
    }
  }

  /** Every parameter's sum of squares, as the last `reduce` returned them (a view of shared memory). */
  get squares(): Float64Array {
    return this.#squares;
  }

  /** Parameter p's gradient summed over the threads (a view of shared memory, valid until the next `reduce`). */
  summed(p: number): Float32Array {
    const at = this.memory.size * this.#capacity + (this.#offsets[p] as number);
    return this.#data.subarray(at, at + (this.memory.sizes[p] as number));
  }

  /** Barriers met and milliseconds waited at them since the last call. */
  takeBarrierTime(): BarrierTime {
    return this.#barrier.takeTime();
  }

  /** Marks the pool aborted and wakes every waiting thread. */
  abort(): void {
    this.#barrier.abort();
  }
}
