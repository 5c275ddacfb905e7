/** Architecture-weight snapshots of a search: edge labels, per-edge softmax, history by epoch. */
import { NODES, OPS } from '@lrnas/schema';
import { stateLabel, type StateName } from './cell-layout.js';

export type Matrix = number[][];
export interface CellMatrices {
  normal: Matrix;
  reduce: Matrix;
}

export interface Snapshot {
  epoch: number;
  attempt: number;
  alphas: CellMatrices;
  contributions: CellMatrices | null;
}

export const OP_LABELS: readonly string[] = OPS;

/** The 14 edges of a cell in the order of the weight rows: node 0's two inputs, node 1's three... */
export function edgeRows(): { from: StateName; to: StateName; text: string }[] {
  const rows: { from: StateName; to: StateName; text: string }[] = [];
  for (let node = 0; node < NODES; node++) {
    for (let from = 0; from < node + 2; from++) {
      const row = { from: stateLabel(from), to: stateLabel(node + 2) };
      rows.push({ ...row, text: `${plainName(row.from)} → ${plainName(row.to)}` });
    }
  }
  return rows;
}

const SUBSCRIPTS: Record<string, string> = { k: 'ₖ', '-': '₋', '0': '₀', '1': '₁', '2': '₂' };

/** A state's name in plain text (a tooltip has no markup): c_{k-2} as cₖ₋₂. */
export function plainName(name: StateName): string {
  return name.base + [...(name.sub ?? '')].map((c) => SUBSCRIPTS[c] ?? c).join('');
}

/** Each row turned into a probability distribution over the operations (how the supernet mixes them). */
export function softmaxRows(matrix: Matrix): Matrix {
  return matrix.map((row) => {
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / sum);
  });
}

/** Whether a value from the API is a pair of 14 x 8 finite matrices. */
export function isCellMatrices(value: unknown): value is CellMatrices {
  const ok = (m: unknown) =>
    Array.isArray(m) &&
    m.length === 14 &&
    m.every(
      (row) =>
        Array.isArray(row) &&
        row.length === OPS.length &&
        row.every((v) => typeof v === 'number' && Number.isFinite(v)),
    );
  return (
    typeof value === 'object' &&
    value !== null &&
    ok((value as CellMatrices).normal) &&
    ok((value as CellMatrices).reduce)
  );
}

/**
 * Adds a snapshot to the history, one per epoch, sorted by epoch: a later attempt's snapshot of
 * an epoch (the job was redelivered and redid it) replaces the earlier one.
 */
export function addSnapshot(history: readonly Snapshot[], snapshot: Snapshot): Snapshot[] {
  const kept = history.filter((s) => s.epoch !== snapshot.epoch || s.attempt > snapshot.attempt);
  if (kept.length < history.length || !history.some((s) => s.epoch === snapshot.epoch)) kept.push(snapshot);
  return kept.sort((a, b) => a.epoch - b.epoch);
}
