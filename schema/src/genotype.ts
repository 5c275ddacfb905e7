import { ContractError } from './errors.js';
import { sha256Hex } from './sha256.js';

/** Candidate operations in the index order of the search space (lrnas-method.md, section 1). */
export const OPS = [
  'none',
  'max_pool_3x3',
  'avg_pool_3x3',
  'skip_connect',
  'sep_conv_3x3',
  'sep_conv_5x5',
  'dil_conv_3x3',
  'dil_conv_5x5',
] as const;
export type OpName = (typeof OPS)[number];

/** Intermediate nodes per cell; each takes two (op, input) pairs. */
export const NODES = 4;
/** Edges of a cell: node n has an edge from each of the n + 2 earlier states. */
export const EDGES = 14;
export const PAIRS_PER_CELL = NODES * 2;
export const CONCAT = [2, 3, 4, 5] as const;

export type GenotypePair = [OpName, number];
export interface Genotype {
  normal: GenotypePair[];
  normalConcat: number[];
  reduce: GenotypePair[];
  reduceConcat: number[];
}

const CELLS = ['normal', 'reduce'] as const;
const KEYS = ['normal', 'normalConcat', 'reduce', 'reduceConcat'];

/** Index of an operation name, or -1. */
export function opIndex(name: string): number {
  return (OPS as readonly string[]).indexOf(name);
}

/** Node (0..3) that the pair at `slot` (0..7) feeds. */
export function nodeOfSlot(slot: number): number {
  return Math.floor(slot / 2);
}

/**
 * Validates untrusted data as a genotype. Throws a ContractError naming the first offending field,
 * e.g. `reduce[5][1]: input 6 points at a later node (node 2 takes inputs 0..3)`.
 */
export function parseGenotype(value: unknown, path = ''): Genotype {
  const at = (field: string): string => (path ? `${path}.${field}` : field);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractError(path, `expected a genotype object, got ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.includes(key)) {
      throw new ContractError(at(clip(key)), `unknown field (a genotype has ${KEYS.join(', ')})`);
    }
  }
  const result: Partial<Genotype> = {};
  for (const cell of CELLS) {
    result[cell] = parsePairs(record[cell], at(cell));
    result[`${cell}Concat`] = parseConcat(record[`${cell}Concat`], at(`${cell}Concat`));
  }
  return result as Genotype;
}

function parsePairs(value: unknown, path: string): GenotypePair[] {
  if (!Array.isArray(value))
    throw new ContractError(path, `expected an array of 8 [op, input] pairs, got ${describe(value)}`);
  if (value.length !== PAIRS_PER_CELL) {
    throw new ContractError(path, `expected ${PAIRS_PER_CELL} [op, input] pairs (2 per node), got ${value.length}`);
  }
  return value.map((pair: unknown, slot): GenotypePair => {
    const here = `${path}[${slot}]`;
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new ContractError(here, `expected an [op, input] pair, got ${describe(pair)}`);
    }
    const [op, input] = pair as [unknown, unknown];
    if (typeof op !== 'string' || opIndex(op) < 0) {
      throw new ContractError(`${here}[0]`, `unknown operation ${describe(op)} (one of ${OPS.join(', ')})`);
    }
    const node = nodeOfSlot(slot);
    const maxInput = node + 1;
    if (typeof input !== 'number' || !Number.isInteger(input) || input < 0) {
      throw new ContractError(
        `${here}[1]`,
        `input must be a whole number from 0 to ${maxInput}, got ${describe(input)}`,
      );
    }
    if (input > maxInput) {
      throw new ContractError(
        `${here}[1]`,
        `input ${input} points at a later node (node ${node} takes inputs 0..${maxInput})`,
      );
    }
    return [op as OpName, input];
  });
}

function parseConcat(value: unknown, path: string): number[] {
  const ok = Array.isArray(value) && value.length === CONCAT.length && CONCAT.every((n, i) => value[i] === n);
  if (!ok) throw new ContractError(path, `must be [${CONCAT.join(', ')}], got ${describe(value)}`);
  return [...CONCAT];
}

/**
 * The canonical form: within each node the two pairs are ordered by (input, op index). A node sums
 * its two inputs, so swapping them yields the same network; canonical order makes equal networks
 * share one JSON text and one hash.
 */
export function canonicalGenotype(genotype: Genotype): Genotype {
  const order = (pairs: GenotypePair[]): GenotypePair[] => {
    const out: GenotypePair[] = [];
    for (let node = 0; node < NODES; node++) {
      const two = pairs.slice(node * 2, node * 2 + 2).map(([op, input]): GenotypePair => [op, input]);
      two.sort((a, b) => a[1] - b[1] || opIndex(a[0]) - opIndex(b[0]));
      out.push(...two);
    }
    return out;
  };
  return {
    normal: order(genotype.normal),
    normalConcat: [...CONCAT],
    reduce: order(genotype.reduce),
    reduceConcat: [...CONCAT],
  };
}

/** Canonical JSON text: canonical pair order, fixed key order, no white space. */
export function genotypeToCanonicalJson(genotype: Genotype): string {
  const c = canonicalGenotype(genotype);
  return JSON.stringify({
    normal: c.normal,
    normalConcat: c.normalConcat,
    reduce: c.reduce,
    reduceConcat: c.reduceConcat,
  });
}

/** Stable identity of an architecture: hex SHA-256 of its canonical JSON. */
export function genotypeHash(genotype: Genotype): string {
  return sha256Hex(genotypeToCanonicalJson(genotype));
}

/** Short text for error messages: the type, and a clipped preview of strings. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
