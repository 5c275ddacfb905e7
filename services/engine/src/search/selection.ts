import { CONCAT, ContractError, NODES, OPS, type Genotype, type GenotypePair, type OpName } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import { validateNetworkShape, type NetworkShape } from '../nn/plan.js';
import { parseEdgeMatrices } from './alphas-file.js';
import { softmax } from './mixing.js';
import type { SelectionSettings } from './settings.js';
import { CELL_TYPES, edgeOf, inputOfEdge, nodeOfEdge, type CellType, type EdgeMatrices } from './space.js';

/**
 * Deriving a genotype from architecture weights (lrnas-method.md section 6): LRNAS's greedy
 * selection under a parameter budget, and DARTS parsing (the "no greedy" ablation).
 */

/**
 * How the budget is enforced. `strict` (default): a candidate passes if the network WITH it stays within
 * the budget or it adds no parameters, so the result never exceeds the budget. `reference` (the released
 * code): the network BEFORE adding is counted, and once that is over budget only ops of index <= 3
 * (`none`, pools, `skip_connect`) pass, so the last op placed under budget can overshoot it.
 */
export const SELECTION_MODES = ['strict', 'reference'] as const;
export type SelectionMode = (typeof SELECTION_MODES)[number];

/** Ops of index <= this are the ones reference mode still accepts once over budget. */
const REFERENCE_CHEAP_OP_MAX = 3;

export interface SelectionOptions {
  /** Most parameters the evaluation network may have (counted by `countParameters`). */
  budget: number;
  /** Evaluation network the parameters are counted on (section 7). */
  shape: NetworkShape;
  mode?: SelectionMode;
}

/** What happened to a candidate: placed, dropped because its node had 2 ops, or rejected by the budget rule. */
export type SelectionDecision = 'placed' | 'node full' | 'over budget';

/** One candidate (an edge with its argmax op), in the order the greedy loop considered it. */
export interface SelectionStep {
  cell: CellType;
  edge: number;
  op: OpName;
  /** The raw alpha of that op on that edge. */
  value: number;
  decision: SelectionDecision;
  /** Parameters of the network after this step. */
  params: number;
}

export interface SelectionResult {
  genotype: Genotype;
  /** `countParameters(genotype, shape)`. */
  params: number;
  mode: SelectionMode;
  /** All 28 candidates, highest value first. */
  trace: SelectionStep[];
}

/**
 * The starting genotype: every slot `none`. Until a slot is filled it reads `['none', 0]` (a node's first
 * slot) or `['none', 1]` (its second), i.e. zeros from the two cell inputs; `none` has no parameters at
 * any stride, so the placeholder's inputs change nothing but make it a valid genotype.
 */
export function emptyGenotype(): Genotype {
  const pairs = (): GenotypePair[] => Array.from({ length: 2 * NODES }, (_, slot): GenotypePair => ['none', slot % 2]);
  return { normal: pairs(), normalConcat: [...CONCAT], reduce: pairs(), reduceConcat: [...CONCAT] };
}

/** Parameters of the smallest evaluation network of `shape`: every slot `none` (the lowest valid budget). */
export function minimumParameters(shape: NetworkShape): number {
  return countParameters(emptyGenotype(), shape);
}

/** Index of the largest value in `row`; ties go to the lower index. Skips index 0 (`none`) when `skipNone`. */
function argmax(row: readonly number[], skipNone = false): number {
  let best = skipNone ? 1 : 0;
  for (let o = best + 1; o < row.length; o++) if ((row[o] as number) > (row[best] as number)) best = o;
  return best;
}

function cloneGenotype(g: Genotype): Genotype {
  const copy = (pairs: GenotypePair[]): GenotypePair[] => pairs.map(([op, input]): GenotypePair => [op, input]);
  return {
    normal: copy(g.normal),
    normalConcat: [...g.normalConcat],
    reduce: copy(g.reduce),
    reduceConcat: [...g.reduceConcat],
  };
}

/**
 * Greedy selection under a parameter budget (section 6): each of the 28 edges (normal 0..13, then reduction
 * 0..13) offers its argmax op including `none` (ties: lower op index) with that raw alpha; candidates are
 * taken highest value first (ties: the earlier edge in that order) and placed as `[op, input]` in their
 * node's next free slot if the node has one and the op passes the budget rule of `mode` (see
 * SELECTION_MODES). Strict mode throws a ContractError naming the minimum if the budget is below the
 * all-`none` network.
 */
export function selectGreedy(alphas: EdgeMatrices, options: SelectionOptions): SelectionResult {
  const { budget, shape } = options;
  const mode = options.mode ?? 'strict';
  if (!(SELECTION_MODES as readonly string[]).includes(mode)) {
    throw new ContractError('mode', `must be one of ${SELECTION_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  if (typeof budget !== 'number' || !Number.isFinite(budget) || budget <= 0) {
    throw new ContractError('budget', `must be a positive number of parameters, got ${String(budget)}`);
  }
  validateNetworkShape(shape);
  const weights = parseEdgeMatrices(alphas, 'alphas');

  const genotype = emptyGenotype();
  let params = countParameters(genotype, shape);
  if (mode === 'strict' && params > budget) {
    throw new ContractError(
      'budget',
      `${budget} is below the smallest network of this shape (C=${shape.channels}, L=${shape.layers}, ` +
        `${shape.classes} classes, every slot none): minimum ${params} parameters`,
    );
  }

  const candidates = CELL_TYPES.flatMap((cell) =>
    weights[cell].map((row, edge) => {
      const op = argmax(row);
      return { cell, edge, op, value: row[op] as number };
    }),
  );
  // Sort by value, highest first; the index keeps ties in candidate order (normal edges, then reduction).
  const order = candidates.map((c, i) => ({ ...c, i }));
  order.sort((a, b) => b.value - a.value || a.i - b.i);

  const filled: Record<CellType, number[]> = {
    normal: new Array<number>(NODES).fill(0),
    reduce: new Array<number>(NODES).fill(0),
  };
  const trace: SelectionStep[] = [];
  for (const { cell, edge, op, value } of order) {
    const node = nodeOfEdge(edge);
    const name = OPS[op] as OpName;
    const step = (decision: SelectionDecision): void =>
      void trace.push({ cell, edge, op: name, value, decision, params });
    const used = filled[cell][node] as number;
    if (used >= 2) {
      step('node full');
      continue;
    }
    const trial = cloneGenotype(genotype);
    trial[cell][2 * node + used] = [name, inputOfEdge(edge)];
    const withOp = countParameters(trial, shape);
    // Strict: the network never exceeds the budget, so an op that adds nothing always fits; the second
    // clause states the rule of section 6 rather than adding a case.
    const passes =
      mode === 'reference' ? params <= budget || op <= REFERENCE_CHEAP_OP_MAX : withOp <= budget || withOp <= params;
    if (!passes) {
      step('over budget');
      continue;
    }
    genotype[cell][2 * node + used] = [name, inputOfEdge(edge)];
    filled[cell][node] = used + 1;
    params = withOp;
    step('placed');
  }
  return { genotype, params, mode, trace };
}

/**
 * DARTS parsing (the "no greedy" ablation), as DARTS's `genotype()` on `softmax(alphas)`: per edge apply a
 * softmax over its 8 ops; per node keep the 2 incoming edges whose best non-`none` weight is largest, each
 * with its argmax non-`none` op. Ties: between edges the lower input state wins (Python's stable sort),
 * between ops the lower op index (DARTS's strict `>`). Pairs are listed stronger edge first, as DARTS does.
 */
export function parseDarts(alphas: EdgeMatrices): Genotype {
  const weights = parseEdgeMatrices(alphas, 'alphas');
  const parseCell = (matrix: number[][]): GenotypePair[] => {
    const pairs: GenotypePair[] = [];
    for (let node = 0; node < NODES; node++) {
      const incoming = Array.from({ length: node + 2 }, (_, input) => {
        const w = softmax(matrix[edgeOf(node, input)] as number[]);
        const op = argmax(w, true);
        return { input, op, strength: w[op] as number };
      });
      incoming.sort((a, b) => b.strength - a.strength || a.input - b.input);
      for (const { input, op } of incoming.slice(0, 2)) pairs.push([OPS[op] as OpName, input]);
    }
    return pairs;
  };
  return {
    normal: parseCell(weights.normal),
    normalConcat: [...CONCAT],
    reduce: parseCell(weights.reduce),
    reduceConcat: [...CONCAT],
  };
}

/** The evaluation network a search's selection counts parameters on: its size, the data's classes and channels. */
export function selectionShape(
  selection: Pick<SelectionSettings, 'channels' | 'layers'>,
  data: { classes: number; inputChannels: number },
): NetworkShape {
  return {
    channels: selection.channels,
    layers: selection.layers,
    classes: data.classes,
    inputChannels: data.inputChannels,
  };
}

/**
 * The genotype a search's selection settings derive from its alphas at the evaluation size, and its
 * parameters: greedy under the budget, or DARTS parsing with `no-greedy`. The search's per-epoch choice
 * and a job's select stage both take it from here.
 */
export function selectBySettings(
  alphas: EdgeMatrices,
  selection: SelectionSettings,
  data: { classes: number; inputChannels: number },
): { genotype: Genotype; params: number } {
  const shape = selectionShape(selection, data);
  if (selection.mode === 'no-greedy') {
    const genotype = parseDarts(alphas);
    return { genotype, params: countParameters(genotype, shape) };
  }
  const { genotype, params } = selectGreedy(alphas, { budget: selection.budget, shape, mode: selection.mode });
  return { genotype, params };
}
