/**
 * The engine's seeded randomness, one place for every module (data order and augmentation, attacks, weight
 * initialisation, training): xoshiro128** (Blackman & Vigna) seeded through a murmur3-style mixer, so that any
 * tuple of integers (seed, purpose, epoch, batch, ...) or (seed, parameter name) names its own stream.
 */

/** murmur3's 32-bit finaliser: a bijection on uint32 with full avalanche. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One step of the running hash: mixes a 32-bit word into `h`. */
function absorb(h: number, word: number): number {
  return fmix32(Math.imul(h, 0x9e3779b1) ^ fmix32((word >>> 0) + 0x7f4a7c15));
}

/**
 * Hashes integer parts (e.g. seed, stream, epoch, batch) into one uint32 seed; order matters. Parts are any
 * safe integers; each enters as two 32-bit words (low, high), so -1 and 2^32 - 1 or 1 and 2^32 + 1 differ.
 */
export function deriveSeedFromParts(...parts: number[]): number {
  let h = 0x243f6a88 ^ parts.length;
  for (const p of parts) {
    if (!Number.isSafeInteger(p)) throw new RangeError(`seed parts must be safe integers; got ${p}`);
    h = absorb(absorb(h, p), Math.floor(p / 2 ** 32));
  }
  return h;
}

/** Marks seeds derived from names, apart from those derived from plain numbers ('name' in ASCII). */
const NAME_STREAM = 0x6e616d65;

/**
 * The seed of a named variable (e.g. `cells.3.ops.0.weight`): depends only on the base seed and the name, not on
 * creation order, so the same seed gives the same weights.
 */
export function seedFromName(baseSeed: number, name: string): number {
  const units = Array.from({ length: name.length }, (_, i) => name.charCodeAt(i));
  return deriveSeedFromParts(baseSeed, NAME_STREAM, ...units);
}

/** A seeded xoshiro128** generator. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** Seeds the four state words from any safe integer; fmix32 of distinct inputs cannot give all zeros. */
  constructor(seed: number) {
    const base = deriveSeedFromParts(seed);
    this.s0 = fmix32(base + 0x9e3779b9);
    this.s1 = fmix32(base + 0x3c6ef372);
    this.s2 = fmix32(base + 0xdaa66d2b);
    this.s3 = fmix32(base + 0x78dde6e4);
  }

  /** A generator in the given state (four uint32 words, not all zero); for reference-vector tests. */
  static fromState(words: readonly [number, number, number, number]): Rng {
    if (words.every((w) => w >>> 0 === 0)) throw new RangeError('xoshiro128** state must not be all zeros');
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = words.map((w) => w >>> 0) as [number, number, number, number];
    return rng;
  }

  /** Next uniform uint32. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296)
      throw new RangeError(`nextInt needs an integer bound in [1, 2^32]; got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** -1 or +1 with equal probability. */
  sign(): -1 | 1 {
    return this.nextU32() & 1 ? 1 : -1;
  }

  /** Fills `out` with uniform draws from [lo, hi) (rounding to float32 can give exactly `hi`); returns `out`. */
  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    const span = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + span * this.nextFloat();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fisher-Yates shuffle of `items` in place, driven by `rng`; returns `items`. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(items: T, rng: Rng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A seeded random permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, new Rng(seed));
}
