import { randomBytes } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ContractError, ErrorCode, LrnasError } from '@lrnas/schema';

/** Codes Apollo and graphql-js give to requests that are malformed; clients see BAD_INPUT. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);
const OUR_CODES = new Set<string>(Object.values(ErrorCode));

/**
 * Apollo's formatError: every error leaves with a code of the platform's ErrorCode enum in
 * `extensions.code`. Errors raised on purpose (LrnasError) keep their message and code (and the
 * field, for bad input); anything else is a bug or a driver failure whose message may leak SQL
 * or internals, so the client gets INTERNAL with a reference and the log gets the details.
 */
export function makeErrorFormatter(log: (line: string) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    // Apollo prefixes errors of the context function (authentication, rate limit); ours read alone.
    const message = formatted.message.replace(/^Context creation failed: /, '');
    const base = { message, ...(formatted.path ? { path: formatted.path } : {}) };
    if (original instanceof LrnasError) {
      const field = original instanceof ContractError && original.field ? { field: original.field } : {};
      return { ...base, message: original.message, extensions: { code: original.code, ...field } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && OUR_CODES.has(code)) {
      return { ...base, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: { code } };
    }
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) {
      const locations = formatted.locations ? { locations: formatted.locations } : {};
      const field = variableField(message);
      return { ...base, ...locations, extensions: { code: ErrorCode.BAD_INPUT, ...(field ? { field } : {}) } };
    }
    const reference = randomBytes(6).toString('hex');
    log(
      `internal error ${reference}: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`,
    );
    return { ...base, message: `internal error (reference ${reference})`, extensions: { code: ErrorCode.INTERNAL } };
  };
}

/**
 * The field a variable's coercion error is about, named as our own input errors name it
 * (`input.selection.mode`), so a form shows it next to the field: graphql-js writes the path into
 * the message (`Variable "$input" got invalid value "x" at "input.selection.mode"; ...`), and a
 * missing or unknown field in the detail (`Field "budget" is not defined by type ...`).
 */
export function variableField(message: string): string | undefined {
  const variable = /^Variable "\$(\w+)" got invalid value /.exec(message);
  if (!variable) return undefined;
  const at = / at "([\w.[\]]+)"; /.exec(message);
  const path = at?.[1] ?? variable[1]!;
  const detail = /; Field "(\w+)" (?:is not defined by type|of required type)/.exec(message);
  return detail ? `${path}.${detail[1]}` : path;
}
