import type { Rng } from '../random.js';
import type { ContributionMode } from './contribution.js';
import { CELL_TYPES, OP_COUNT, PLAYERS_PER_CELL, toEdgeMatrices } from './space.js';
import type { EdgeMatrices } from './space.js';
import { zScore } from './zscore.js';

/**
 * The architecture-weight update of LRNAS (lrnas-method.md section 5): alphas move along a momentum of the
 * z-scored contribution values, not along a gradient.
 */

/** v_prev of the momentum, a 14 x 8 matrix per cell type. */
export interface MomentumState {
  normal: number[][];
  reduce: number[][];
}

/** Momentum kept from the previous step. */
const MOMENTUM = 0.8;
/** Weight of the new z-scored values in v. */
const VALUE_WEIGHT = 0.2;
/** Step size of alpha along v. */
const STEP = 0.1;
/** Scale of the initial momentum, 1e-3 * N(0, 1). */
const INITIAL_SCALE = 1e-3;

const EDGE_COUNT = PLAYERS_PER_CELL / OP_COUNT;

/** One N(0, 1) pair by Box-Muller; 1 - u keeps the logarithm's argument in (0, 1]. */
function normalPair(rng: Rng): [number, number] {
  const radius = Math.sqrt(-2 * Math.log(1 - rng.nextFloat()));
  const angle = 2 * Math.PI * rng.nextFloat();
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
}

/** The starting momentum: 1e-3 * N(0, 1) per entry, drawn for the normal cell then the reduction cell, row-major. */
export function initialMomentum(rng: Rng): MomentumState {
  const flat = new Float64Array(2 * PLAYERS_PER_CELL);
  for (let i = 0; i < flat.length; i += 2) {
    const [a, b] = normalPair(rng);
    flat[i] = INITIAL_SCALE * a;
    flat[i + 1] = INITIAL_SCALE * b;
  }
  return toEdgeMatrices(flat);
}

/** The 14 x 8 matrix `matrices[cell]` flattened row-major, with its shape checked. */
function flatCell(matrices: EdgeMatrices, cell: (typeof CELL_TYPES)[number], what: string): Float64Array {
  const rows: unknown = matrices?.[cell];
  if (!Array.isArray(rows) || rows.length !== EDGE_COUNT) {
    throw new RangeError(`${what}.${cell} must be ${EDGE_COUNT} rows of ${OP_COUNT} numbers`);
  }
  const out = new Float64Array(PLAYERS_PER_CELL);
  rows.forEach((row: unknown, e) => {
    if (!Array.isArray(row) || row.length !== OP_COUNT) {
      throw new RangeError(`${what}.${cell}[${e}] must be ${OP_COUNT} numbers`);
    }
    row.forEach((v: unknown, o) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(`${what}.${cell}[${e}][${o}] must be a finite number, got ${String(v)}`);
      }
      out[e * OP_COUNT + o] = v;
    });
  });
  return out;
}

/** 14 x 8 rows of a flat row-major cell. */
function toRows(flat: Float64Array): number[][] {
  return Array.from({ length: EDGE_COUNT }, (_, e) => Array.from(flat.subarray(e * OP_COUNT, (e + 1) * OP_COUNT)));
}

/**
 * One update: per cell type z = zScore(values), v = 0.8 v_prev + 0.2 z, alpha += 0.1 v; the stored momentum is
 * 0.1 v in reference mode (as the released code keeps it) and v in Shapley mode. Pure: returns new objects.
 */
export function updateArchitecture(
  alphas: EdgeMatrices,
  values: Float64Array | EdgeMatrices,
  momentum: MomentumState,
  mode: ContributionMode,
): { alphas: EdgeMatrices; momentum: MomentumState } {
  if (mode !== 'reference' && mode !== 'shapley') {
    throw new RangeError(`contribution mode must be 'reference' or 'shapley', got ${String(mode)}`);
  }
  const valueMatrices = values instanceof Float64Array ? toEdgeMatrices(values) : values;
  const stored = mode === 'reference' ? STEP : 1;
  const next = { alphas: {} as EdgeMatrices, momentum: {} as MomentumState };
  for (const cell of CELL_TYPES) {
    const alpha = flatCell(alphas, cell, 'alphas');
    const z = zScore(flatCell(valueMatrices, cell, 'values'));
    const previous = flatCell(momentum, cell, 'momentum');
    const newAlpha = new Float64Array(PLAYERS_PER_CELL);
    const newMomentum = new Float64Array(PLAYERS_PER_CELL);
    for (let i = 0; i < PLAYERS_PER_CELL; i++) {
      const v = MOMENTUM * (previous[i] as number) + VALUE_WEIGHT * (z[i] as number);
      newAlpha[i] = (alpha[i] as number) + STEP * v;
      newMomentum[i] = stored * v;
    }
    next.alphas[cell] = toRows(newAlpha);
    next.momentum[cell] = toRows(newMomentum);
  }
  return next;
}
