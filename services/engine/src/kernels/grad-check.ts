/**
 * Test support: gradients checked against central finite differences, and results compared across backends.
 * Not part of the engine's API.
 */
import type { TestContext } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../random.js';
import { registerMissingKernels } from './index.js';

/** The backends the engine can run without libtensorflow. */
export const JS_BACKENDS = ['cpu', 'wasm'] as const;
export type JsBackend = (typeof JS_BACKENDS)[number];

/** Switches to `name` with our kernels and gradients registered. */
export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
  registerMissingKernels(name);
}

/** Deterministic pseudo-random numbers in [0, 1), from the engine's Rng. */
export function random(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.nextFloat();
}

/**
 * n distinct values in (-1, 1), shuffled, at least 2/n apart and at least 1/n from 0 (offset shifts the grid).
 * Finite differences with a step below a quarter of the spacing never cross a tie or a kink at 0.
 */
export function spreadValues(n: number, seed: number, offset = 0): Float32Array {
  const next = random(seed);
  const values = Array.from({ length: n }, (_, i) => ((i + 0.5 + offset) / n) * 2 - 1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j] as number, values[i] as number];
  }
  return Float32Array.from(values);
}

/** An input of a checked function: float (differentiated) unless `dtype` is int32. */
export interface InputSpec {
  shape: number[];
  /** Defaults to spreadValues(size, seed). */
  values?: Float32Array | Int32Array;
  dtype?: 'float32' | 'int32';
}

/** Forward output and gradients of loss = sum(f(inputs) * weights) w.r.t. each float input. */
export interface GradResult {
  output: Float32Array;
  outputShape: number[];
  gradients: Float32Array[];
}

function materialise(specs: InputSpec[], seed: number): Array<Float32Array | Int32Array> {
  return specs.map((s, i) => s.values ?? spreadValues(tf.util.sizeFromShape(s.shape), seed + 101 * i));
}

function tensors(specs: InputSpec[], values: Array<Float32Array | Int32Array>): tf.Tensor[] {
  return specs.map((s, i) => tf.tensor(values[i] as Float32Array | Int32Array, s.shape, s.dtype ?? 'float32'));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0; // float64 accumulation keeps finite differences clean
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/**
 * Runs f forward and backward on the active backend (tf.grads), checks that no tensor leaks and checks every
 * gradient against central finite differences (default step: a quarter of spreadValues' spacing).
 */
export function checkGradients(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  specs: InputSpec[],
  options: { seed?: number; eps?: number; atol?: number; rtol?: number } = {},
): GradResult {
  const seed = options.seed ?? 7;
  const values = materialise(specs, seed);
  const floatInputs = specs.map((s, i) => ((s.dtype ?? 'float32') === 'float32' ? i : -1)).filter((i) => i >= 0);
  const before = tf.memory().numTensors;
  const inputs = tensors(specs, values);
  const outTensor = tf.tidy(() => f(...inputs));
  const output = outTensor.dataSync() as Float32Array;
  const outputShape = outTensor.shape;
  outTensor.dispose();
  const weights = spreadValues(output.length, seed + 1);
  const w = tf.tensor(weights, outputShape);
  const gradFn = tf.grads((...xs: tf.Tensor[]) => {
    const all = inputs.map((t, i) => {
      const k = floatInputs.indexOf(i);
      return k >= 0 ? (xs[k] as tf.Tensor) : t;
    });
    return tf.sum(tf.mul(f(...all), w));
  });
  const gradTensors = gradFn(floatInputs.map((i) => inputs[i] as tf.Tensor));
  const gradients = gradTensors.map((g) => g.dataSync() as Float32Array);
  tf.dispose([...gradTensors, ...inputs, w]);
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`forward+backward leaked ${leaked} tensors`);

  {
    const largest = Math.max(...floatInputs.map((i) => values[i]?.length ?? 1));
    const eps = options.eps ?? 0.5 / largest;
    floatInputs.forEach((inputIndex, k) => {
      const base = values[inputIndex] as Float32Array;
      const numeric = new Float32Array(base.length);
      for (let e = 0; e < base.length; e++) {
        const loss = (delta: number): number => {
          const shifted = values.slice();
          const copy = Float32Array.from(base);
          copy[e] = (copy[e] as number) + delta;
          shifted[inputIndex] = copy;
          return tf.tidy(() => dot(f(...tensors(specs, shifted)).dataSync(), weights));
        };
        numeric[e] = (loss(eps) - loss(-eps)) / (2 * eps);
      }
      assertClose(
        gradients[k] as Float32Array,
        numeric,
        options.atol ?? 2e-3,
        options.rtol ?? 1e-2,
        `gradient of input ${inputIndex} vs finite differences`,
      );
    });
  }
  return { output, outputShape, gradients };
}

/** Throws unless |actual - expected| <= atol + rtol * |expected| everywhere (and the lengths match). */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  label: string,
): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length} != ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i] as number, expected[i] as number];
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= worstExcess)) [worst, worstExcess] = [i, Number.isNaN(excess) ? Infinity : excess];
  }
  if (worst >= 0) {
    throw new Error(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

/** A tensor's values and shape, read back. */
export interface Values {
  values: Float32Array;
  shape: number[];
}

/** Throws unless each of `actual` has the shape of, and values within `tol` of, the same-named one of `expected`. */
export function assertSameValues(actual: Values[], expected: Values[], names: string[], tol = 1e-4): void {
  if (actual.length !== names.length || expected.length !== names.length) {
    throw new Error(
      `expected ${names.length} results (${names.join(', ')}), got ${actual.length} and ${expected.length}`,
    );
  }
  actual.forEach((r, i) => {
    const name = names[i] ?? '';
    const e = expected[i] as Values;
    if (r.shape.join() !== e.shape.join()) throw new Error(`${name}: shape [${r.shape}] != [${e.shape}]`);
    assertClose(r.values, e.values, tol, tol, name);
  });
}

/** Throws unless two results (e.g. wasm and cpu) agree in output and every gradient. */
export function assertSameResult(actual: GradResult, expected: GradResult, tol = 1e-4): void {
  if (actual.outputShape.join() !== expected.outputShape.join()) {
    throw new Error(`output shape ${actual.outputShape} != ${expected.outputShape}`);
  }
  assertClose(actual.output, expected.output, tol, tol, 'output');
  actual.gradients.forEach((g, i) => assertClose(g, expected.gradients[i] ?? [], tol, tol, `gradient ${i}`));
}

/**
 * `run` on each JS backend (ours registered), each checked to leak no tensor; returns each backend's result.
 * The kernel tests' usual set-up: compare `wasm` against `cpu` (or a reference) afterwards.
 */
export async function onEachBackend<T>(run: (backend: JsBackend) => T, label = ''): Promise<Record<JsBackend, T>> {
  const results: Partial<Record<JsBackend, T>> = {};
  for (const backend of JS_BACKENDS) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    results[backend] = run(backend);
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`${label}${label ? ': ' : ''}${backend} leaked ${leaked} tensors`);
  }
  return results as Record<JsBackend, T>;
}

/**
 * As subtests of `t`: `check` on each JS backend (ours registered), normally checkGradients and assertions of
 * its own, named by `name`; then a subtest that wasm's result agrees with cpu's (assertSameResult).
 */
export async function checkOnEachBackend(
  t: TestContext,
  check: (backend: JsBackend) => GradResult,
  name: (backend: JsBackend) => string = (backend) => backend,
): Promise<void> {
  const results: Partial<Record<JsBackend, GradResult>> = {};
  for (const backend of JS_BACKENDS) {
    await t.test(name(backend), async () => {
      await useBackend(backend);
      results[backend] = check(backend);
    });
  }
  await t.test('wasm agrees with cpu', () => {
    const { cpu, wasm } = results;
    if (!cpu || !wasm) throw new Error('both backends must have run');
    assertSameResult(wasm, cpu);
  });
}
