import { ContractError, RUN_ID_PATTERN, formatPath, metricKeySchema, threatModelSchema } from '@lrnas/schema';

/** What this module needs of a schema of the contract (zod's safeParse), without importing zod. */
interface SafeParser<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/**
 * Parses `value` with a schema of @lrnas/schema; a failure names the field under `field` (an empty
 * `field`: the value's own fields are the arguments, named alone).
 */
export function parseContract<T>(schema: SafeParser<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const inner = formatPath(issue.path);
  const path = !field ? inner : inner ? (inner.startsWith('[') ? `${field}${inner}` : `${field}.${inner}`) : field;
  throw new ContractError(path, issue.message);
}

const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
export const MAX_TAGS = 32;

/** Tags: 1 to 64 letters, digits and _ . : / - (starting with a letter or digit), at most 32, deduplicated. */
export function checkTags(field: string, tags: readonly string[]): string[] {
  tags.forEach((tag, i) => {
    if (!TAG_PATTERN.test(tag)) {
      throw new ContractError(
        `${field}[${i}]`,
        'a tag is 1 to 64 letters, digits or _ . : / - (starting alphanumeric)',
      );
    }
  });
  const unique = [...new Set(tags)];
  if (unique.length > MAX_TAGS) throw new ContractError(field, `at most ${MAX_TAGS} tags`);
  return unique;
}

/** An id usable as a NATS subject token. */
export function checkId(field: string, id: string): string {
  if (!RUN_ID_PATTERN.test(id)) throw new ContractError(field, 'must be 1 to 64 letters, digits, "_" or "-"');
  return id;
}

/** A metric key of the contract. */
export function checkMetricKey(field: string, key: string): string {
  return parseContract(metricKeySchema, key, field);
}

/** A threat model of the contract. */
export function checkThreatModel(
  field: string,
  value: { norm: string; epsilon: number },
): {
  norm: 'linf' | 'l2';
  epsilon: number;
} {
  return parseContract(threatModelSchema, { norm: value.norm, epsilon: value.epsilon }, field);
}

/** A whole number within bounds. */
export function checkInt(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ContractError(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Text within a length bound. */
export function checkText(field: string, value: string, min: number, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length < min || trimmed.length > max) {
    throw new ContractError(field, `must be ${min} to ${max} characters, got ${trimmed.length}`);
  }
  return trimmed;
}
