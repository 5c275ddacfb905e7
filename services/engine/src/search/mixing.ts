import { EDGES } from '@lrnas/schema';
import { CELL_TYPES, OP_COUNT, PLAYER_COUNT, PLAYERS_PER_CELL, type CellType, type EdgeMatrices } from './space.js';

/**
 * The weights that mix the candidate operations of every edge, for one or more groups of the batch.
 * A batch of G groups holds G * N images; group g (images g*N .. g*N+N-1) is mixed with row g.
 * Per cell type, `values` is G x 14 x 8 (group-major, then edge, then op, in `OPS` order).
 */
export interface MixingWeights {
  groups: number;
  normal: Float32Array;
  reduce: Float32Array;
}

/** Softmax of one row, shifted by its maximum for stability. */
export function softmax(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((a) => Math.exp(a - max));
  const total = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / total);
}

/** softmax of each edge's 8 architecture weights (lrnas-method.md section 2). */
export function edgeSoftmax(alphas: EdgeMatrices): EdgeMatrices {
  return { normal: alphas.normal.map(softmax), reduce: alphas.reduce.map(softmax) };
}

/**
 * Mixing weights from architecture weights: softmax per edge, then each mask's removed players
 * multiplied by 0 (the others are NOT renormalised: section 4). A mask has one entry per player
 * (player order of `space.ts`), 1 = present, 0 = removed; no masks means one group, nothing removed.
 */
export function mixingWeights(alphas: EdgeMatrices, masks?: readonly Uint8Array[]): MixingWeights {
  const soft = edgeSoftmax(alphas);
  const groups = masks?.length ?? 1;
  if (groups < 1) throw new RangeError('mixingWeights needs at least one mask');
  const out: MixingWeights = {
    groups,
    normal: new Float32Array(groups * PLAYERS_PER_CELL),
    reduce: new Float32Array(groups * PLAYERS_PER_CELL),
  };
  CELL_TYPES.forEach((cell, c) => {
    const target = out[cell];
    for (let g = 0; g < groups; g++) {
      const mask = masks?.[g];
      if (mask && mask.length !== PLAYER_COUNT) {
        throw new RangeError(`mask ${g} has ${mask.length} entries, expected ${PLAYER_COUNT}`);
      }
      for (let e = 0; e < EDGES; e++) {
        for (let o = 0; o < OP_COUNT; o++) {
          const local = e * OP_COUNT + o;
          const present = mask ? mask[c * PLAYERS_PER_CELL + local] : 1;
          target[g * PLAYERS_PER_CELL + local] = present ? (soft[cell][e]?.[o] as number) : 0;
        }
      }
    }
  });
  return out;
}

/** The G x 8 weights of one edge of one cell type, group-major. */
export function edgeWeights(weights: MixingWeights, cell: CellType, edge: number): Float32Array {
  const values = weights[cell];
  const out = new Float32Array(weights.groups * OP_COUNT);
  for (let g = 0; g < weights.groups; g++) {
    const base = g * PLAYERS_PER_CELL + edge * OP_COUNT;
    out.set(values.subarray(base, base + OP_COUNT), g * OP_COUNT);
  }
  return out;
}

/** Rows `groups` of the weights (e.g. to run a subset of the groups). */
export function selectGroups(weights: MixingWeights, groups: readonly number[]): MixingWeights {
  const pick = (values: Float32Array): Float32Array => {
    const out = new Float32Array(groups.length * PLAYERS_PER_CELL);
    groups.forEach((g, i) =>
      out.set(values.subarray(g * PLAYERS_PER_CELL, (g + 1) * PLAYERS_PER_CELL), i * PLAYERS_PER_CELL),
    );
    return out;
  };
  return { groups: groups.length, normal: pick(weights.normal), reduce: pick(weights.reduce) };
}
