import { z } from 'zod';
import { ContractError, ErrorCode } from './errors.js';
import { parseGenotype, type Genotype } from './genotype.js';

/** NATS's default max payload; nothing larger is ever a valid message. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** The message version this build reads and writes. */
export const MESSAGE_VERSION = 1;

/** Turns values into bytes for NATS and back, validating both ways. */
export interface Codec<T> {
  readonly name: string;
  /** Validates, then serialises; a producer can never publish an invalid message. */
  encode(value: T): Uint8Array;
  /** Parses bytes from the wire; throws a ContractError (code BAD_MESSAGE) naming the bad field. */
  decode(bytes: Uint8Array): T;
  /** Validates an already-parsed value. */
  parse(value: unknown): T;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Builds a codec for a versioned message schema (one with a `v` field). */
export function makeCodec<S extends z.ZodType>(name: string, schema: S): Codec<z.output<S>> {
  const parse = (value: unknown): z.output<S> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ContractError('', `${name}: expected a JSON object`, ErrorCode.BAD_MESSAGE);
    }
    const v = (value as { v?: unknown }).v;
    if (v !== MESSAGE_VERSION) {
      throw new ContractError(
        'v',
        `unsupported ${name} version ${JSON.stringify(v) ?? 'undefined'} (this build reads ${MESSAGE_VERSION})`,
        ErrorCode.BAD_MESSAGE,
      );
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw new ContractError(formatPath(issue.path), issue.message, ErrorCode.BAD_MESSAGE);
    }
    return result.data;
  };
  return {
    name,
    parse,
    encode: (value) => encoder.encode(JSON.stringify(parse(value))),
    decode: (bytes) => {
      if (bytes.byteLength > MAX_MESSAGE_BYTES) {
        throw new ContractError(
          '',
          `${name} of ${bytes.byteLength} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`,
          ErrorCode.BAD_MESSAGE,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(utf8.decode(bytes));
      } catch (error) {
        // Covers invalid UTF-8, invalid JSON and nesting deep enough to exhaust the stack.
        const why = error instanceof Error ? error.message : String(error);
        throw new ContractError('', `${name} is not valid UTF-8 JSON (${why})`, ErrorCode.BAD_MESSAGE);
      }
      return parse(json);
    },
  };
}

/** `['points', 3, 'step']` -> `points[3].step`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** `normal[3][1]` -> `['normal', 3, 1]`; inverse of formatPath. */
export function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    parts.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return parts;
}

/** Zod schema of a genotype; reports the same field-naming errors as parseGenotype. */
export const genotypeSchema: z.ZodType<Genotype> = z.unknown().transform((value, ctx): Genotype => {
  try {
    return parseGenotype(value);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.reason, path: splitPath(error.field) });
    return z.NEVER;
  }
}) as unknown as z.ZodType<Genotype>;
