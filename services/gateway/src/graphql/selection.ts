import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Whether the query selects any of `names` directly on the value the resolver returns (through
 * inline fragments and fragment spreads too): a resolver can then skip loading what no one reads.
 */
export function selectsAny(
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>,
  names: readonly string[],
): boolean {
  const wanted = new Set(names);
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>): boolean =>
    (set?.selections ?? []).some((selection) => {
      if (selection.kind === Kind.FIELD) return wanted.has(selection.name.value);
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet, seen);
      const name = selection.name.value;
      if (seen.has(name)) return false;
      return visit(info.fragments[name]?.selectionSet, new Set([...seen, name]));
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet, new Set()));
}
