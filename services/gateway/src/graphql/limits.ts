import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  valueFromASTUntyped,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { Extensions } from 'type-graphql';
import { ErrorCode } from '@lrnas/schema';

/** Arguments that bound how many items a list field returns. */
const SIZE_ARGUMENTS = ['first', 'limit', 'maxPoints'];
/** Arguments whose list length bounds a field's result (one item per id or key asked for). */
const LIST_ARGUMENTS = ['ids', 'keys'];
/** Assumed length of a list field without a size argument. */
const DEFAULT_LIST_SIZE = 10;
/**
 * Cost of a field whose resolver queries the database or NATS: a round trip (and, on PostgreSQL, a
 * pool connection held for it) weighs about as much as a hundred fields read from memory. So 300
 * aliases of `health` cost 30,000+, over the default limit, while a page of 100 runs with each
 * run's evaluations (100 queries) stays under it.
 */
export const IO_FIELD_COST = 100;

/**
 * Marks a nested field whose resolver runs a query of its own (one per parent item: lists of a
 * run, a filtered lookup). Root fields count as such without it. Lookups of a relation the
 * parent's query already loaded (run.experiment, evaluation.run) are served from the request's
 * identity map and stay plain fields.
 */
export const TouchesStorage = (): MethodDecorator & PropertyDecorator => Extensions({ io: true });

/** How deep and how costly an operation is. */
export interface OperationCost {
  depth: number;
  complexity: number;
}

/**
 * Depth (nesting of selections) and complexity of an operation: each field costs 1 (a field that
 * queries the database or NATS: IO_FIELD_COST; each alias separately) plus the cost of its selections, multiplied for list fields by the page size the query asks for (`first`,
 * `limit`, `maxPoints`, or the number of `ids`/`keys`, on the list or on the connection field
 * around it), else by 10. Introspection is free, so tools can read the schema.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): OperationCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return { depth: 0, complexity: 0 };

  // `pageSize`: the size argument of an enclosing connection field (runs(first: 100) { edges }),
  // which bounds its list of edges.
  const walk = (
    set: SelectionSetNode,
    type: GraphQLNamedType,
    seen: ReadonlySet<string>,
    pageSize?: number,
  ): OperationCost => {
    // Every root resolver reads the database or NATS.
    const atRoot = type === root;
    let depth = 0;
    let complexity = 0;
    for (const selection of set.selections) {
      let inner: OperationCost;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
        const field = fields[selection.name.value];
        if (!field) continue;
        const size = listSize(selection.arguments ?? [], variables);
        const isList = isListType(getNullableType(field.type));
        const child = selection.selectionSet
          ? walk(selection.selectionSet, getNamedType(field.type), seen, isList ? undefined : size)
          : { depth: 0, complexity: 0 };
        const multiplier = isList ? (size ?? pageSize ?? DEFAULT_LIST_SIZE) : 1;
        const own = atRoot || field.extensions.io === true ? IO_FIELD_COST : 1;
        inner = { depth: child.depth + 1, complexity: own + multiplier * child.complexity };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? type) : type;
        inner = walk(selection.selectionSet, on, seen, pageSize);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment that spreads itself is refused by validation; guard the walk anyway.
        if (!fragment || seen.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value) ?? type;
        inner = walk(fragment.selectionSet, on, new Set([...seen, name]), pageSize);
      }
      depth = Math.max(depth, inner.depth);
      complexity += inner.complexity;
    }
    return { depth, complexity };
  };
  return walk(operation.selectionSet, root, new Set());
}

function listSize(
  args: readonly { name: { value: string }; value: Parameters<typeof valueFromASTUntyped>[0] }[],
  variables: Record<string, unknown>,
): number | undefined {
  for (const arg of args) {
    const value = valueFromASTUntyped(arg.value, variables);
    if (SIZE_ARGUMENTS.includes(arg.name.value) && typeof value === 'number') return Math.max(1, value);
    if (LIST_ARGUMENTS.includes(arg.name.value) && Array.isArray(value)) return Math.max(1, value.length);
  }
  return undefined;
}

/** Refuses operations deeper or costlier than the limits, before any resolver runs. */
export function queryLimitsPlugin(limits: { maxDepth: number; maxComplexity: number }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (!operation) return;
          const cost = measureOperation(schema, document, operation, request.variables ?? {});
          const refuse = (message: string) =>
            new GraphQLError(message, { extensions: { code: ErrorCode.BAD_INPUT, http: { status: 400 } } });
          if (cost.depth > limits.maxDepth) {
            throw refuse(`query depth ${cost.depth} exceeds the limit of ${limits.maxDepth}`);
          }
          if (cost.complexity > limits.maxComplexity) {
            throw refuse(complexityMessage(cost.complexity, limits.maxComplexity));
          }
        },
      };
    },
  };
}

/** The refusal of an over-costly operation, naming its cost and the limit (HTTP and subscriptions). */
export function complexityMessage(complexity: number, limit: number): string {
  return (
    `query complexity ${complexity} exceeds the limit of ${limit} (each field costs 1, ` +
    `each field that queries the database or NATS ${IO_FIELD_COST}, lists times their page size: ` +
    `ask for smaller pages or fewer fields)`
  );
}
