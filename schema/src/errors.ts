/** Stable error codes shared by every process; the gateway maps them to GraphQL `extensions.code`. */
export const ErrorCode = {
  BAD_INPUT: 'BAD_INPUT',
  BAD_MESSAGE: 'BAD_MESSAGE',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  TOPOLOGY_MISMATCH: 'TOPOLOGY_MISMATCH',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base of every error the platform raises on purpose: a stable code and a message for people. */
export class LrnasError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that breaks a contract; `field` is the path of the offending value, e.g. `points[3].step`. */
export class ContractError extends LrnasError {
  constructor(
    readonly field: string,
    readonly reason: string,
    code: ErrorCode = ErrorCode.BAD_INPUT,
  ) {
    super(code, field ? `${field}: ${reason}` : reason);
  }
}
