/**
 * How the rest of the platform spells the contract's enum lists (RUN_STATUSES, JOB_KINDS, DATASETS,
 * NORMS, ATTACKS, each defined once beside the message that carries it): derived here, so that the
 * gateway's entities and GraphQL enums and the dashboard cannot drift from them. GraphQL and the
 * database name a value in upper snake case (`fashion-mnist` is FASHION_MNIST): `enumObject` makes
 * the enum-like object that type-graphql's registerEnumType and the ORM entities take, and
 * `enumName` the name the dashboard sends.
 */
import { STAGES, type Stage } from './common.js';
import type { RunStatus } from './events.js';
import { JOB_KINDS, type JobKind } from './names.js';

type ReplaceAll<S extends string, From extends string, To extends string> = S extends `${infer A}${From}${infer B}`
  ? `${A}${To}${ReplaceAll<B, From, To>}`
  : S;

/** A contract value's enum name: upper case, "-" as "_". */
export type EnumName<V extends string> = Uppercase<ReplaceAll<V, '-', '_'>>;

/** The enum name of a contract value, as GraphQL spells it (`apgd-ce` is APGD_CE). */
export function enumName<V extends string>(value: V): EnumName<V> {
  return value.replaceAll('-', '_').toUpperCase() as EnumName<V>;
}

/** An enum-like object of a list: each value under its enum name, in the list's order. */
export type EnumObject<V extends string> = { readonly [K in V as EnumName<K>]: K };

/** The enum-like object of a contract list (`enumObject(DATASETS).FASHION_MNIST === 'fashion-mnist'`). */
export function enumObject<const V extends readonly string[]>(values: V): EnumObject<V[number]> {
  return Object.freeze(Object.fromEntries(values.map((value) => [enumName(value), value]))) as EnumObject<V[number]>;
}

/** The enum names of a contract list, in its order (`enumNames(JOB_KINDS)[0] === 'SEARCH'`). */
export function enumNames<const V extends readonly string[]>(values: V): { readonly [I in keyof V]: EnumName<V[I]> } {
  return values.map(enumName) as unknown as { readonly [I in keyof V]: EnumName<V[I]> };
}

/** Kinds of runs as the API and the database name them: the job kinds' enum names. */
export const RUN_KINDS = enumNames(JOB_KINDS);
export type RunKind = (typeof RUN_KINDS)[number];

/**
 * Who executes a run: a worker of the platform (started through the API), or the client that logs
 * it to the hub from elsewhere: a script through `@lrnas/client`, or the `lrnas` CLI with `--hub`.
 */
export const RUN_SOURCES = ['WORKER', 'CLIENT', 'CLI'] as const;
export type RunSource = (typeof RUN_SOURCES)[number];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const satisfies readonly RunStatus[];

/** Whether a run in this status will never change again. */
export function isTerminalRunStatus(status: string): boolean {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

/** The stages a job of each kind goes through, in order. */
export const JOB_STAGES: { readonly [K in JobKind]: readonly Stage[] } = {
  search: ['search', 'select'],
  train: ['train'],
  evaluate: ['evaluate'],
  pipeline: STAGES,
  // Every row of a study searches (or is given its genotype), trains and is attacked, one row after another.
  study: STAGES,
};

/** The stages of a run of this kind as the API names it (PIPELINE: all four); none for an unknown kind. */
export function stagesOfRunKind(kind: string): readonly Stage[] {
  const job = JOB_KINDS.find((k) => enumName(k) === kind);
  return job ? JOB_STAGES[job] : [];
}
