/**
 * A cell of a genotype (or the difference of two) as a laid-out graph, ready to draw.
 *
 * dagre places it, not elkjs: dagre is synchronous, small (tens of kB against elkjs's 1.5 MB
 * GWT build, which also wants a web worker) and its layered layout treats an edge label as a
 * node of its own rank, so labels get room between the nodes and never sit on each other or on a
 * node; a cell is a small DAG, dagre's home ground.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { NODES } from '@lrnas/schema';
import { diffGenotypes, type CellName, type Genotype } from './genotype.js';

/** A state's name as text with a subscript: c_{k-2} is { base: 'c', sub: 'k-2' }. */
export interface StateName {
  base: string;
  sub?: string;
}

/** Name of cell state `index` (0, 1: the inputs c_{k-2}, c_{k-1}; then the intermediate nodes 0-3), or the output. */
export function stateLabel(index: number | 'out'): StateName {
  if (index === 'out') return { base: 'c', sub: 'k' };
  if (index < 2) return { base: 'c', sub: index === 0 ? 'k-2' : 'k-1' };
  return { base: String(index - 2) };
}

/** Whether an edge is in both genotypes (or the only one drawn), or in one of the two compared. */
export type EdgeChange = 'same' | 'removed' | 'added';

export interface CellEdge {
  from: number;
  to: number | 'out';
  /** The operation; '' for the concatenation into the output. */
  op: string;
  change: EdgeChange;
}

/**
 * The edges of a cell: per intermediate node its two (op, input) pairs, then an edge from each
 * concatenated state to the output. Given a second genotype, the union of both: pairs (and
 * concatenated states) of only the first are 'removed', of only the second 'added'.
 */
export function cellEdges(a: Genotype, cell: CellName, b?: Genotype): CellEdge[] {
  const diff = diffGenotypes(a, b ?? a).find((d) => d.cell === cell)!;
  const edges: CellEdge[] = [];
  for (const n of diff.nodes) {
    const to = n.node + 2;
    for (const [op, from] of n.same) edges.push({ from, to, op, change: 'same' });
    for (const [op, from] of n.onlyA) edges.push({ from, to, op, change: 'removed' });
    for (const [op, from] of n.onlyB) edges.push({ from, to, op, change: 'added' });
  }
  const inB = new Set(diff.concatB);
  const inA = new Set(diff.concatA);
  for (const s of diff.concatA) edges.push({ from: s, to: 'out', op: '', change: inB.has(s) ? 'same' : 'removed' });
  for (const s of diff.concatB) if (!inA.has(s)) edges.push({ from: s, to: 'out', op: '', change: 'added' });
  return edges;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedNode extends Box {
  id: string;
  name: StateName;
  kind: 'input' | 'node' | 'output';
}

export interface PlacedEdge extends CellEdge {
  points: { x: number; y: number }[];
  /** Where its operation's name goes (absent for a concatenation edge); x, y the box's top left. */
  label?: Box & { text: string };
}

export interface CellLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

/** Edge labels are set in a monospace font of this size, so their width is known before drawing. */
export const LABEL_FONT_SIZE = 11;
const CHAR_WIDTH = LABEL_FONT_SIZE * 0.62;
const LABEL_PAD = 4;
const LABEL_HEIGHT = LABEL_FONT_SIZE + 2 * LABEL_PAD;
const NODE = { width: 48, height: 30 };
const MARGIN = 12;

/** The text of an edge's label: its operation, marked − or + in a diff. */
export function edgeText(edge: CellEdge): string {
  return `${edge.change === 'removed' ? '− ' : edge.change === 'added' ? '+ ' : ''}${edge.op}`;
}

/** Lays a cell's edges out left to right: inputs, intermediate nodes, output. */
export function layoutCell(edges: readonly CellEdge[]): CellLayout {
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', ranksep: 28, nodesep: 14, edgesep: 8, marginx: MARGIN, marginy: MARGIN });
  const id = (s: number | 'out') => (s === 'out' ? 'out' : `s${s}`);
  const states: (number | 'out')[] = [0, 1, ...Array.from({ length: NODES }, (_, n) => n + 2), 'out'];
  for (const s of states) g.setNode(id(s), { ...NODE });
  edges.forEach((e, i) => {
    const text = e.op ? edgeText(e) : '';
    g.setEdge(
      id(e.from),
      id(e.to),
      text
        ? { width: text.length * CHAR_WIDTH + 2 * LABEL_PAD, height: LABEL_HEIGHT, labelpos: 'c', minlen: 1 }
        : { width: 0, height: 0, minlen: 1 },
      String(i),
    );
  });
  layout(g);
  const nodes: PlacedNode[] = states.map((s) => {
    const n = g.node(id(s)) as { x: number; y: number; width: number; height: number };
    return {
      id: id(s),
      name: stateLabel(s),
      kind: s === 'out' ? 'output' : s < 2 ? 'input' : 'node',
      x: n.x - n.width / 2,
      y: n.y - n.height / 2,
      width: n.width,
      height: n.height,
    };
  });
  const placed: PlacedEdge[] = edges.map((e, i) => {
    const label = g.edge(id(e.from), id(e.to), String(i)) as {
      points: { x: number; y: number }[];
      x?: number;
      y?: number;
      width: number;
      height: number;
    };
    const edge: PlacedEdge = { ...e, points: label.points };
    if (e.op && label.x !== undefined && label.y !== undefined) {
      edge.label = {
        text: edgeText(e),
        x: label.x - label.width / 2,
        y: label.y - label.height / 2,
        width: label.width,
        height: label.height,
      };
    }
    return edge;
  });
  const graph = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0), nodes, edges: placed };
}

/** Whether two boxes share any area (touching edges do not count). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
