/** Genotypes in the dashboard: reading them, laying a cell out as a graph, diffing two. */
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

/** Name of cell state `index`: the two inputs, then the intermediate nodes. */
export function stateName(index: number): string {
  if (index === 0) return 'c_{k-2}';
  if (index === 1) return 'c_{k-1}';
  return String(index - 2);
}

export interface GraphNode {
  id: string;
  label: string;
  kind: 'input' | 'node' | 'output';
  x: number;
  y: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Operation name; empty for the concatenation into the output. */
  op: string;
  /** Slot in the genotype's pair list (-1 for output edges). */
  slot: number;
}

/**
 * A cell as a graph on the unit square: the inputs on the left, the four nodes staggered across
 * the middle in order, the output on the right. One edge per (op, input) pair, labelled with the
 * op, and an edge from every concatenated node to the output.
 */
export function cellGraph(genotype: Genotype, cell: CellName): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const pairs = genotype[cell];
  const concat = genotype[`${cell}Concat`];
  const nodes: GraphNode[] = [
    { id: 's0', label: 'c_{k-2}', kind: 'input', x: 0, y: 0.2 },
    { id: 's1', label: 'c_{k-1}', kind: 'input', x: 0, y: 0.8 },
  ];
  for (let n = 0; n < NODES; n++) {
    nodes.push({
      id: `s${n + 2}`,
      label: String(n),
      kind: 'node',
      x: 0.22 + (n * 0.56) / (NODES - 1),
      y: n % 2 ? 0.72 : 0.28,
    });
  }
  nodes.push({ id: 'out', label: 'c_{k}', kind: 'output', x: 1, y: 0.5 });
  const edges: GraphEdge[] = pairs.map(([op, input], slot) => ({
    from: `s${input}`,
    to: `s${Math.floor(slot / 2) + 2}`,
    op,
    slot,
  }));
  for (const state of concat) edges.push({ from: `s${state}`, to: 'out', op: '', slot: -1 });
  return { nodes, edges };
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
