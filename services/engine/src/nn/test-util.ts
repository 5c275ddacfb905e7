import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import { parseGenotype, type Genotype } from '@lrnas/schema';
import { registerMissingKernels } from '../kernels/index.js';

/** Test helper: the published genotypes of lrnas-method.md section 9 (fixture copy). */
export function publishedGenotypes(): Record<'DARTS_V2' | 'LRNAS_C10' | 'LRNAS_C100', Genotype> {
  const raw = JSON.parse(fs.readFileSync(new URL('./fixtures/genotypes.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  return {
    DARTS_V2: parseGenotype(raw.DARTS_V2),
    LRNAS_C10: parseGenotype(raw.LRNAS_C10),
    LRNAS_C100: parseGenotype(raw.LRNAS_C100),
  };
}

/** Test helper: switches to a TF.js backend, loading it first, with the gradients and kernels training needs. */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  await tf.ready();
  registerMissingKernels(name);
}

/** Test helper: asserts two arrays agree elementwise within `tol`. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = ''): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what} length ${actual.length} != ${expected.length}`);
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}[${i}]: ${a} != ${e} (tolerance ${tol})`);
    }
  }
}

/** Test helper: a seeded uniform [0, 1) generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
