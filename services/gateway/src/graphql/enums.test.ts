import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLEnumType } from 'graphql';
import { ATTACKS, DATASETS, enumName, NORMS, RUN_KINDS, RUN_SOURCES, RUN_STATUSES } from '@lrnas/schema';
import { buildGatewaySchema } from './schema.js';

test("the GraphQL enums are the contract's lists: same values, in the same order, under their enum names", async () => {
  const schema = await buildGatewaySchema();
  const lists: Record<string, readonly string[]> = {
    Dataset: DATASETS,
    Attack: ATTACKS,
    Norm: NORMS,
    RunKind: RUN_KINDS,
    RunStatus: RUN_STATUSES,
    RunSource: RUN_SOURCES,
  };
  for (const [name, list] of Object.entries(lists)) {
    const type = schema.getType(name);
    assert.ok(type instanceof GraphQLEnumType, `${name} is an enum of the schema`);
    assert.deepEqual(
      type.getValues().map((v) => [v.name, v.value]),
      list.map((value) => [enumName(value), value]),
      name,
    );
  }
});
