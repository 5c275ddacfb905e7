/** Genotypes in the dashboard: reading them and diffing two (cell-layout.ts draws them). */
import { NODES, parseGenotype, type Genotype, type GenotypePair } from '@lrnas/schema';

export type { Genotype };
export type CellName = 'normal' | 'reduce';
export const CELL_NAMES: readonly CellName[] = ['normal', 'reduce'];

/** The genotype of an API answer, validated (null when missing or malformed, with the reason). */
export function readGenotype(value: unknown): { genotype: Genotype | null; error?: string } {
  if (value == null) return { genotype: null };
  try {
    return { genotype: parseGenotype(value) };
  } catch (error) {
    return { genotype: null, error: (error as Error).message };
  }
}

export interface NodeDiff {
  node: number;
  same: GenotypePair[];
  onlyA: GenotypePair[];
  onlyB: GenotypePair[];
}

export interface CellDiff {
  cell: CellName;
  nodes: NodeDiff[];
  concatA: number[];
  concatB: number[];
  changed: boolean;
}

/**
 * What differs between two genotypes, node by node: the two pairs of a node are compared as a
 * multiset (their order within the node does not matter), and the concatenated states too.
 */
export function diffGenotypes(a: Genotype, b: Genotype): CellDiff[] {
  return CELL_NAMES.map((cell) => {
    const nodes: NodeDiff[] = [];
    for (let node = 0; node < NODES; node++) {
      const left = a[cell].slice(node * 2, node * 2 + 2);
      const right = b[cell].slice(node * 2, node * 2 + 2);
      const same: GenotypePair[] = [];
      const onlyA: GenotypePair[] = [];
      const rest = [...right];
      for (const pair of left) {
        const i = rest.findIndex(([op, input]) => op === pair[0] && input === pair[1]);
        if (i >= 0) {
          same.push(pair);
          rest.splice(i, 1);
        } else onlyA.push(pair);
      }
      nodes.push({ node, same, onlyA, onlyB: rest });
    }
    const concatA = [...a[`${cell}Concat`]].sort();
    const concatB = [...b[`${cell}Concat`]].sort();
    const changed = nodes.some((n) => n.onlyA.length > 0 || n.onlyB.length > 0) || concatA.join() !== concatB.join();
    return { cell, nodes, concatA, concatB, changed };
  });
}
