import { ContractError } from '@lrnas/schema';

/** Position of an item in a sorted list: its sort value and id, bound to the order it belongs to. */
export interface CursorPosition {
  value: string | number | null;
  id: string;
}

/** An opaque cursor for `position` in the order named by `order`. */
export function encodeCursor(order: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify([order, position.value, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor holds; refuses cursors that are malformed or from another order. */
export function decodeCursor(field: string, order: string, cursor: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ContractError(field, 'not a cursor this API returned');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[2] !== 'string' ||
    !(parsed[1] === null || typeof parsed[1] === 'string' || typeof parsed[1] === 'number')
  ) {
    throw new ContractError(field, 'not a cursor this API returned');
  }
  if (parsed[0] !== order) throw new ContractError(field, 'this cursor belongs to a different sort order');
  return { value: parsed[1] as CursorPosition['value'], id: parsed[2] };
}
