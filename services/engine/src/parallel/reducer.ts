/**
 * All-reduce between the engine threads of one pool over shared memory: every thread contributes a vector,
 * every thread gets the same sum, added in rank order 0..N-1 in float64. The fixed order makes the result
 * independent of which thread arrives first, so replicas that start equal stay equal.
 */

/** Memory one pool's threads share for reductions; created by the pool, handed to every thread. */
export interface ReducerMemory {
  /** [arrivals, generation, aborted]: the barrier's state. */
  control: SharedArrayBuffer;
  /** Two banks (alternating per call) of `size` slots of `capacity` float64 values. */
  data: SharedArrayBuffer;
  size: number;
  capacity: number;
}

/** Thrown in every thread when another thread gave up (an error there) or the barrier waited too long. */
export class ReducerAbortedError extends Error {
  readonly code = 'ABORTED';
}

/** Allocates the shared memory of a pool of `size` threads reducing vectors of up to `capacity` values. */
export function createReducerMemory(size: number, capacity: number): ReducerMemory {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`reducer size must be a positive integer, got ${size}`);
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new RangeError(`reducer capacity must be a positive integer, got ${capacity}`);
  }
  return {
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(2 * size * capacity * Float64Array.BYTES_PER_ELEMENT),
    size,
    capacity,
  };
}

/** How long a thread spins at a barrier before it sleeps. */
const SPIN_MS = 0.2;

const ARRIVALS = 0;
const GENERATION = 1;
const ABORTED = 2;

/** How often a thread met the others at a barrier and how long it waited there (the cost of whole-batch sums). */
export interface BarrierTime {
  barriers: number;
  waitMs: number;
}

/**
 * One thread's end of a barrier over shared memory (`control`: 3 int32 slots, [arrivals, generation, aborted]):
 * `wait` returns once all `size` threads have called it. It counts the meetings and the time spent waiting.
 */
export class Barrier {
  readonly #control: Int32Array;
  #met: BarrierTime = { barriers: 0, waitMs: 0 };

  constructor(
    control: SharedArrayBuffer,
    readonly size: number,
    /** How long a thread waits for the others before giving up (they may have died). */
    readonly timeoutMs = 600_000,
  ) {
    this.#control = new Int32Array(control);
  }

  /** Barriers met and milliseconds waited at them since the last call (then starts counting anew). */
  takeTime(): BarrierTime {
    const met = this.#met;
    this.#met = { barriers: 0, waitMs: 0 };
    return met;
  }

  /** Waits for every other thread; throws ReducerAbortedError when one gave up. */
  wait(): void {
    const arrived = performance.now();
    this.#wait();
    this.#met.barriers++;
    this.#met.waitMs += performance.now() - arrived;
  }

  /** Marks the pool aborted and wakes every waiting thread (they throw ReducerAbortedError). */
  abort(): void {
    Atomics.store(this.#control, ABORTED, 1);
    Atomics.add(this.#control, GENERATION, 1);
    Atomics.notify(this.#control, GENERATION);
  }

  #wait(): void {
    const c = this.#control;
    if (this.size === 1) return;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.load(c, ABORTED)) throw new ReducerAbortedError('another engine thread failed');
    if (Atomics.add(c, ARRIVALS, 1) === this.size - 1) {
      Atomics.store(c, ARRIVALS, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    // Spin briefly before sleeping: the others mostly arrive within microseconds (a training step meets here at
    // every batch norm, a thousand times), and a wake-up from Atomics.wait costs tens of them.
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(c, GENERATION) === generation && performance.now() < spinUntil);
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(c, GENERATION) === generation) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.abort();
        throw new ReducerAbortedError(`engine threads did not meet within ${this.timeoutMs} ms`);
      }
      Atomics.wait(c, GENERATION, generation, left);
    }
    if (Atomics.load(c, ABORTED)) throw new ReducerAbortedError('another engine thread failed');
  }
}

/** One thread's end of the shared memory. */
export class Reducer {
  readonly #barrier: Barrier;
  readonly #data: Float64Array;
  #bank = 0;

  constructor(
    readonly memory: ReducerMemory,
    readonly rank: number,
    /** How long a thread waits for the others before giving up (they may have died). */
    timeoutMs = 600_000,
  ) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= memory.size) {
      throw new RangeError(`reducer rank must be in 0..${memory.size - 1}, got ${rank}`);
    }
    this.#barrier = new Barrier(memory.control, memory.size, timeoutMs);
    this.#data = new Float64Array(memory.data);
  }

  get size(): number {
    return this.memory.size;
  }

  /** Barriers met and milliseconds waited at them since the last call (then starts counting anew). */
  takeBarrierTime(): BarrierTime {
    return this.#barrier.takeTime();
  }

  /**
   * The element-wise sum over all threads of `values` (each thread passes the same length), in rank order.
   * One barrier per call: the two banks alternate, so a thread that runs ahead writes into the other bank
   * while the slower ones still read this one.
   */
  allReduce(values: ArrayLike<number>): Float64Array {
    const { size, capacity } = this.memory;
    if (values.length > capacity) {
      throw new RangeError(`allReduce of ${values.length} values exceeds the pool's capacity of ${capacity}`);
    }
    const bank = this.#bank;
    this.#bank ^= 1;
    const base = bank * size * capacity;
    const mine = base + this.rank * capacity;
    for (let i = 0; i < values.length; i++) this.#data[mine + i] = values[i] as number;
    this.#barrier.wait();
    const out = new Float64Array(values.length);
    for (let r = 0; r < size; r++) {
      const slot = base + r * capacity;
      for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (this.#data[slot + i] as number);
    }
    return out;
  }

  /** Marks the pool aborted and wakes every waiting thread (they throw ReducerAbortedError). */
  abort(): void {
    this.#barrier.abort();
  }
}
