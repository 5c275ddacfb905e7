import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { selectsAny } from './selection.js';

/** The root field of `query` and the document's fragments, as a resolver's info holds them. */
function infoOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

test('selectsAny sees fields of the returned value, through inline fragments and spreads, not nested ones', () => {
  const wanted = ['suite', 'decisive'];
  assert.equal(selectsAny(infoOf('{ leaderboard { rank run { id } } }'), wanted), false);
  assert.equal(selectsAny(infoOf('{ leaderboard { rank suite { attack } } }'), wanted), true);
  assert.equal(selectsAny(infoOf('{ leaderboard { ... on LeaderboardEntry { decisive { id } } } }'), wanted), true);
  assert.equal(
    selectsAny(infoOf('{ leaderboard { ...Row } } fragment Row on LeaderboardEntry { suite { id } }'), wanted),
    true,
  );
  assert.equal(
    selectsAny(infoOf('{ leaderboard { ...Row } } fragment Row on LeaderboardEntry { rank }'), wanted),
    false,
  );
  // A field of that name deeper down is another type's.
  assert.equal(selectsAny(infoOf('{ leaderboard { run { suite: id } } }'), wanted), false);
});
