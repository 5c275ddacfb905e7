import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { initialMomentum, updateArchitecture } from './alpha-update.js';
import type { MomentumState } from './alpha-update.js';
import { filledMatrix, fromEdgeMatrices, toEdgeMatrices } from './space.js';
import type { EdgeMatrices } from './space.js';

const matrices = (normal: number[][], reduce: number[][]): EdgeMatrices => ({ normal, reduce });
const clone = <T>(x: T): T => structuredClone(x);

/** Entry-wise check of a 14 x 8 matrix against a function of (edge, op). */
function assertMatrix(got: number[][], want: (e: number, o: number) => number, what: string): void {
  assert.equal(got.length, 14);
  got.forEach((row, e) => {
    assert.equal(row.length, 8);
    row.forEach((v, o) => assert.ok(Math.abs(v - want(e, o)) < 1e-14, `${what}[${e}][${o}]: ${v} vs ${want(e, o)}`));
  });
}

/** Values all 0 except 1 at (2, 5) in the normal cell: over 112 entries the odd one has z = sqrt(111), the rest -1/sqrt(111). */
const spike = (e: number, o: number): number => (e === 2 && o === 5 ? Math.sqrt(111) : -1 / Math.sqrt(111));
const spikeValues = (): EdgeMatrices => {
  const normal = filledMatrix(0);
  (normal[2] as number[])[5] = 1;
  return matrices(normal, filledMatrix(0.3));
};

test('one update by hand: z-scored spike, zero momentum, constant values leave only the momentum', () => {
  const alphas = matrices(filledMatrix(0.5), filledMatrix(-0.25));
  const prev = matrices(filledMatrix(0), filledMatrix(0.01));
  for (const mode of ['reference', 'shapley'] as const) {
    const next = updateArchitecture(alphas, spikeValues(), prev, mode);
    // normal: v = 0.2 z; reduce: values constant (z = 0), v = 0.8 * 0.01
    assertMatrix(next.alphas.normal, (e, o) => 0.5 + 0.1 * 0.2 * spike(e, o), `${mode} alphas.normal`);
    assertMatrix(next.alphas.reduce, () => -0.25 + 0.1 * 0.008, `${mode} alphas.reduce`);
    const kept = mode === 'reference' ? 0.1 : 1;
    assertMatrix(next.momentum.normal, (e, o) => kept * 0.2 * spike(e, o), `${mode} momentum.normal`);
    assertMatrix(next.momentum.reduce, () => kept * 0.008, `${mode} momentum.reduce`);
  }
});

test('two updates: reference mode feeds 0.1 v forward, shapley mode v', () => {
  const alphas = matrices(filledMatrix(0), filledMatrix(0));
  const zero = matrices(filledMatrix(0), filledMatrix(0));
  // v1 = 0.2 z. Reference: stored 0.02 z, v2 = 0.016 z + 0.2 z = 0.216 z, alpha = 0.02 z + 0.0216 z.
  // Shapley: stored 0.2 z, v2 = 0.16 z + 0.2 z = 0.36 z, alpha = 0.02 z + 0.036 z.
  const want = { reference: 0.0416, shapley: 0.056 };
  for (const mode of ['reference', 'shapley'] as const) {
    const first = updateArchitecture(alphas, spikeValues(), zero, mode);
    const second = updateArchitecture(first.alphas, spikeValues(), first.momentum, mode);
    assertMatrix(second.alphas.normal, (e, o) => want[mode] * spike(e, o), `${mode} alphas after two steps`);
  }
});

test('values as 224 numbers or as matrices give the same update; the cells are z-scored separately', () => {
  const rng = new Rng(3);
  const flat = Float64Array.from({ length: 224 }, () => rng.nextFloat());
  const alphas = toEdgeMatrices(Float64Array.from({ length: 224 }, (_, i) => i / 100));
  const momentum = initialMomentum(new Rng(1));
  const a = updateArchitecture(alphas, flat, momentum, 'shapley');
  const b = updateArchitecture(alphas, toEdgeMatrices(flat), momentum, 'shapley');
  assert.deepEqual(a, b);
  // Shifting the reduction values by a constant does not change either cell: each cell has its own z-scores.
  const shifted = Float64Array.from(flat, (v, i) => (i >= 112 ? v + 10 : v));
  const c = updateArchitecture(alphas, shifted, momentum, 'shapley');
  const dif = fromEdgeMatrices(c.alphas).map((v, i) => Math.abs(v - (fromEdgeMatrices(a.alphas)[i] as number)));
  assert.ok(dif.every((d) => d < 1e-12));
});

test('updateArchitecture is pure: inputs are not mutated and outputs share no arrays with them', () => {
  const alphas = toEdgeMatrices(Float64Array.from({ length: 224 }, (_, i) => Math.cos(i)));
  const values = toEdgeMatrices(Float64Array.from({ length: 224 }, (_, i) => Math.sin(i)));
  const momentum: MomentumState = initialMomentum(new Rng(8));
  const before = clone({ alphas, values, momentum });
  const next = updateArchitecture(alphas, values, momentum, 'reference');
  assert.deepEqual({ alphas, values, momentum }, before);
  assert.notEqual(next.alphas.normal, alphas.normal);
  assert.notEqual(next.alphas.normal[0], alphas.normal[0]);
  assert.notEqual(next.momentum.reduce[0], momentum.reduce[0]);
  (next.alphas.normal[0] as number[])[0] = 99;
  assert.deepEqual(alphas, before.alphas);
});

test('initialMomentum: 1e-3 * N(0, 1), deterministic per generator state', () => {
  const a = initialMomentum(new Rng(42));
  assert.deepEqual(a, initialMomentum(new Rng(42)));
  assert.notDeepEqual(a, initialMomentum(new Rng(43)));
  const rng = new Rng(42);
  initialMomentum(rng);
  assert.notDeepEqual(initialMomentum(rng), a, 'the generator advances');
  for (const m of [a.normal, a.reduce]) assert.deepEqual([m.length, ...new Set(m.map((r) => r.length))], [14, 8]);
  // Pool many draws: mean ~ 0, std ~ 1e-3 (standard errors ~ 2e-5 and ~ 1.5e-5 over 2240 values).
  const all = Array.from({ length: 10 }, (_, s) => [...fromEdgeMatrices(initialMomentum(new Rng(100 + s)))]).flat();
  const mean = all.reduce((x, y) => x + y, 0) / all.length;
  const std = Math.sqrt(all.reduce((x, y) => x + (y - mean) ** 2, 0) / all.length);
  assert.ok(Math.abs(mean) < 1e-4, `mean ${mean}`);
  assert.ok(Math.abs(std - 1e-3) < 1e-4, `std ${std}`);
  assert.equal(new Set(fromEdgeMatrices(a)).size, 224, 'every entry is its own draw');
});

test('updateArchitecture rejects malformed matrices and modes by name', () => {
  const ok = matrices(filledMatrix(0), filledMatrix(0));
  const short = matrices(filledMatrix(0).slice(1), filledMatrix(0));
  assert.throws(() => updateArchitecture(short, ok, ok, 'shapley'), /alphas\.normal must be 14 rows of 8 numbers/);
  const ragged = matrices(
    filledMatrix(0),
    filledMatrix(0).map((r, e) => (e === 3 ? r.slice(2) : r)),
  );
  assert.throws(() => updateArchitecture(ok, ragged, ok, 'shapley'), /values\.reduce\[3\] must be 8 numbers/);
  const nan = matrices(filledMatrix(0), filledMatrix(Number.NaN));
  assert.throws(() => updateArchitecture(ok, ok, nan, 'shapley'), /momentum\.reduce\[0\]\[0\] must be a finite number/);
  assert.throws(() => updateArchitecture(ok, new Float64Array(10), ok, 'shapley'), /expected 224 values, got 10/);
  assert.throws(() => updateArchitecture(ok, ok, ok, 'gradient' as 'shapley'), /mode must be/);
});
