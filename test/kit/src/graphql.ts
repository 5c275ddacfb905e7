import fs from 'node:fs';
import type { Genotype } from '@lrnas/schema';

/** A GraphQL answer as the tests read it. */
export interface Answer<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

/** POSTs a GraphQL request, with `key` as the bearer API key when given. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  key?: string,
): Promise<Answer<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer<T>, 'status'>) };
}

/** The data of an answer that must have no errors. */
export function ok<T>(answer: Answer<T>): T {
  if (answer.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
  return answer.data!;
}

/** The first error's code and message. */
export function firstError(answer: Answer<unknown>): { code?: string; field?: string; message: string } {
  const error = answer.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(answer.data)}`);
  return { message: error.message, code: error.extensions?.code, field: error.extensions?.field };
}

/** The genotypes of the schema's test fixtures. */
export const GENOTYPES = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
) as Record<'DARTS_V2' | 'LRNAS_C10' | 'LRNAS_C100', Genotype>;
