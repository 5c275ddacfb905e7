import fs from 'node:fs/promises';
import { ContractError, EDGES } from '@lrnas/schema';
import { CELL_TYPES, OP_COUNT, type EdgeMatrices } from './space.js';

/**
 * Architecture weights from untrusted JSON (a file written by a search, or by hand): an object with
 * exactly `normal` and `reduce`, each 14 rows (edges in DARTS order) of 8 finite numbers (ops in `OPS` order).
 */

/** A problem with an alphas file; the message names the file and, for bad contents, the field. */
export class AlphasFileError extends ContractError {
  constructor(
    readonly file: string,
    field: string,
    reason: string,
  ) {
    super(field, reason);
    this.message = `alphas file ${file}: ${field ? `${field}: ` : ''}${reason}`;
  }
}

/**
 * Validates untrusted data as per-cell 14 x 8 matrices and returns a copy. Throws a ContractError
 * naming the first offending field, e.g. `reduce[3][7]: expected a finite number, got "x"`.
 */
export function parseEdgeMatrices(value: unknown, path = ''): EdgeMatrices {
  const at = (field: string): string => (path ? `${path}.${field}` : field);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ContractError(
      path,
      `expected an object with normal and reduce (${EDGES} x ${OP_COUNT} numbers each), got ${describe(value)}`,
    );
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(CELL_TYPES as readonly string[]).includes(key)) {
      throw new ContractError(at(clip(key)), `unknown field (alphas have ${CELL_TYPES.join(', ')})`);
    }
  }
  const matrix = (cell: string): number[][] => {
    const rows = record[cell];
    const here = at(cell);
    if (!Array.isArray(rows) || rows.length !== EDGES) {
      throw new ContractError(
        here,
        `expected ${EDGES} rows (one per edge) of ${OP_COUNT} numbers, got ${describe(rows)}`,
      );
    }
    return rows.map((row: unknown, e) => {
      if (!Array.isArray(row) || row.length !== OP_COUNT) {
        throw new ContractError(`${here}[${e}]`, `expected ${OP_COUNT} numbers (one per op), got ${describe(row)}`);
      }
      return row.map((v: unknown, o) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new ContractError(`${here}[${e}][${o}]`, `expected a finite number, got ${describe(v)}`);
        }
        return v;
      });
    });
  };
  return { normal: matrix('normal'), reduce: matrix('reduce') };
}

/**
 * Reads and validates an alphas JSON file. Every problem (unreadable file, bad JSON, bad matrices)
 * is an AlphasFileError whose message names the file.
 */
export async function readAlphasFile(file: string): Promise<EdgeMatrices> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(error);
    throw new AlphasFileError(file, '', `cannot read it: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AlphasFileError(file, '', `not valid JSON: ${(error as Error).message}`);
  }
  try {
    return parseEdgeMatrices(value);
  } catch (error) {
    if (error instanceof ContractError) throw new AlphasFileError(file, error.field, error.reason);
    throw error;
  }
}

/** Short text for error messages: the type, the number, or a clipped string. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
