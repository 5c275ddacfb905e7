/**
 * Job settings as the GraphQL start inputs take them. The API types every setting, and spells a
 * contract enum value by its enum name (`no-greedy` is NO_GREEDY, `tiny` is TINY), so settings
 * written in the contract's words (the dashboard's form, test jobs, the CLI's) are converted by
 * walking the contract's own schema: a setting the contract adds is converted without a list here.
 */
import { z } from 'zod';
import { enumName } from './vocabulary.js';

/** `value` (settings valid for `schema`) with every enum value replaced by its enum name. */
export function apiSettings(schema: z.ZodType, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return apiSettings(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodDefault) return apiSettings(schema.unwrap() as z.ZodType, value);
  if (schema instanceof z.ZodEnum) return typeof value === 'string' ? enumName(value) : value;
  if (schema instanceof z.ZodArray && Array.isArray(value)) {
    return value.map((item) => apiSettings(schema.element as z.ZodType, item));
  }
  if (schema instanceof z.ZodObject && typeof value === 'object' && !Array.isArray(value)) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return Object.fromEntries(
      Object.entries(value).map(([key, field]) => [key, shape[key] ? apiSettings(shape[key], field) : field]),
    );
  }
  return value;
}
