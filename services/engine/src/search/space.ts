import { EDGES, NODES, OPS } from '@lrnas/schema';

/**
 * The search space as numbers (lrnas-method.md sections 1 and 4): two cell types, 14 edges per
 * cell, 8 candidate operations per edge, and the 224 (cell type, edge, op) players.
 */

/** The two cell types, in player order: normal players come first. */
export const CELL_TYPES = ['normal', 'reduce'] as const;
export type CellType = (typeof CELL_TYPES)[number];

/** Candidate operations per edge. */
export const OP_COUNT = OPS.length;
/** Players per cell type (14 x 8). */
export const PLAYERS_PER_CELL = EDGES * OP_COUNT;
/** All players (2 x 14 x 8 = 224). */
export const PLAYER_COUNT = CELL_TYPES.length * PLAYERS_PER_CELL;

/**
 * Architecture weights (or any per-player values): for each cell type, 14 rows (edges in DARTS
 * order: node 0's edges from states 0, 1; node 1's from 0, 1, 2; ...) of 8 numbers in `OPS` order.
 */
export interface EdgeMatrices {
  normal: number[][];
  reduce: number[][];
}

/** One (cell type, edge, op) component of the supernet. */
export interface Player {
  cell: CellType;
  edge: number;
  op: number;
}

/** Index of a player in 0..223: normal edges 0..13, then reduction edges, each with its 8 ops. */
export function playerIndex(cell: CellType, edge: number, op: number): number {
  return (cell === 'reduce' ? PLAYERS_PER_CELL : 0) + edge * OP_COUNT + op;
}

/** The player at `index` (0..223). */
export function playerAt(index: number): Player {
  if (!Number.isInteger(index) || index < 0 || index >= PLAYER_COUNT) {
    throw new RangeError(`player index must be an integer in 0..${PLAYER_COUNT - 1}, got ${index}`);
  }
  const cell: CellType = index < PLAYERS_PER_CELL ? 'normal' : 'reduce';
  const local = index % PLAYERS_PER_CELL;
  return { cell, edge: Math.floor(local / OP_COUNT), op: local % OP_COUNT };
}

/** First edge index of each node: node n's edges come from states 0..n+1. */
const NODE_START = Array.from({ length: NODES }, (_, n) => (n * (n + 3)) / 2);

/** The node (0..3) an edge feeds. */
export function nodeOfEdge(edge: number): number {
  for (let n = NODES - 1; n >= 0; n--) if (edge >= (NODE_START[n] as number)) return n;
  throw new RangeError(`edge must be in 0..${EDGES - 1}, got ${edge}`);
}

/** The input state (0, 1: the cell inputs; 2..: earlier nodes) an edge reads. */
export function inputOfEdge(edge: number): number {
  if (!Number.isInteger(edge) || edge < 0 || edge >= EDGES) {
    throw new RangeError(`edge must be an integer in 0..${EDGES - 1}, got ${edge}`);
  }
  return edge - (NODE_START[nodeOfEdge(edge)] as number);
}

/** The edge from state `input` into node `node`. */
export function edgeOf(node: number, input: number): number {
  if (!Number.isInteger(node) || node < 0 || node >= NODES) throw new RangeError(`node must be in 0..${NODES - 1}`);
  if (!Number.isInteger(input) || input < 0 || input > node + 1) {
    throw new RangeError(`node ${node} takes inputs 0..${node + 1}, got ${input}`);
  }
  return (NODE_START[node] as number) + input;
}

/** A 14 x 8 matrix filled with `value`. */
export function filledMatrix(value: number): number[][] {
  return Array.from({ length: EDGES }, () => new Array<number>(OP_COUNT).fill(value));
}

/** Values per player (length 224) as per-cell 14 x 8 matrices. */
export function toEdgeMatrices(values: ArrayLike<number>): EdgeMatrices {
  if (values.length !== PLAYER_COUNT) throw new RangeError(`expected ${PLAYER_COUNT} values, got ${values.length}`);
  const matrix = (offset: number): number[][] =>
    Array.from({ length: EDGES }, (_, e) =>
      Array.from({ length: OP_COUNT }, (_, o) => values[offset + e * OP_COUNT + o] as number),
    );
  return { normal: matrix(0), reduce: matrix(PLAYERS_PER_CELL) };
}

/** Per-cell matrices as one array of 224 values in player order. */
export function fromEdgeMatrices(matrices: EdgeMatrices): Float64Array {
  const out = new Float64Array(PLAYER_COUNT);
  CELL_TYPES.forEach((cell, c) =>
    matrices[cell].forEach((row, e) => row.forEach((v, o) => (out[c * PLAYERS_PER_CELL + e * OP_COUNT + o] = v))),
  );
  return out;
}
