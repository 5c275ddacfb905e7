import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  getNamedType,
  getNullableType,
  graphql,
  GraphQLEnumType,
  GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { z } from 'zod';
import {
  enumName,
  evaluateConfigSchema,
  searchConfigSchema,
  selectionConfigSchema,
  studyConfigSchema,
  threatModelSchema,
  trainConfigSchema,
} from '@lrnas/schema';
import { buildGatewaySchema } from '../graphql/schema.js';
import { variableField } from '../graphql/errors.js';

const unwrap = (schema: z.ZodType): z.ZodType =>
  schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable
    ? unwrap(schema.unwrap() as z.ZodType)
    : schema;

/**
 * That a GraphQL input has exactly the contract object's settings, each of a matching kind: an enum
 * with the contract's values under their enum names, a list of the same element, a nested input of
 * the nested object, a number for a number, a Boolean for a Boolean.
 */
function assertMatches(input: GraphQLInputType, contract: z.ZodType, where: string): void {
  const type = getNullableType(input);
  const shape = unwrap(contract);
  if (shape instanceof z.ZodObject) {
    assert.ok(type instanceof GraphQLInputObjectType, `${where} is an input object`);
    const fields = type.getFields();
    const keys = Object.keys(shape.shape as object);
    assert.deepEqual(Object.keys(fields).sort(), [...keys].sort(), `${where}: the contract's settings`);
    for (const key of keys) {
      assertMatches(fields[key]!.type, (shape.shape as Record<string, z.ZodType>)[key]!, `${where}.${key}`);
    }
  } else if (shape instanceof z.ZodEnum) {
    assert.ok(type instanceof GraphQLEnumType, `${where} is an enum`);
    assert.deepEqual(
      type.getValues().map((v) => [v.name, v.value]),
      (shape.options as string[]).map((value) => [enumName(value), value]),
      where,
    );
  } else if (shape instanceof z.ZodArray) {
    assert.notEqual(getNamedType(type), type, `${where} is a list`);
    assertMatches((type as { ofType: GraphQLInputType }).ofType, shape.element as z.ZodType, `${where}[]`);
  } else if (shape instanceof z.ZodNumber) {
    assert.ok(['Int', 'Float'].includes(String(type)), `${where} is a number, not ${String(type)}`);
  } else if (shape instanceof z.ZodBoolean) {
    assert.equal(String(type), 'Boolean', where);
  } else {
    assert.fail(`${where}: no check for ${shape.constructor.name}`);
  }
}

let built: Promise<GraphQLSchema> | undefined;
const schema = () => (built ??= buildGatewaySchema());

test("each start input's settings are the contract's, field by field, with its enums", async () => {
  const s = await schema();
  const input = (name: string) => s.getType(name) as GraphQLInputObjectType;
  assertMatches(input('SearchSettingsInput'), searchConfigSchema, 'search');
  // The budget is optional in the API: the experiment's or the preset's fills it in.
  assertMatches(input('SelectionSettingsInput'), selectionConfigSchema, 'selection');
  assertMatches(input('TrainSettingsInput'), trainConfigSchema, 'train');
  assertMatches(input('EvaluateSettingsInput'), evaluateConfigSchema, 'evaluate');
  assertMatches(input('ThreatModelInput'), threatModelSchema, 'threatModel');
  assertMatches(input('StudySettingsInput'), studyConfigSchema, 'study');
  for (const [name, fields] of [
    ['StartSearchInput', ['search', 'selection']],
    ['StartPipelineInput', ['search', 'selection', 'train', 'evaluate']],
    ['StartTrainingInput', ['train']],
    ['StartEvaluationInput', ['evaluate']],
    ['StartStudyInput', ['study']],
  ] as const) {
    for (const field of fields) {
      assert.match(String(input(name).getFields()[field]!.type), /^\w+SettingsInput$/, `${name}.${field} is typed`);
    }
  }
});

test('a bad setting is refused before any resolver runs, naming the field as the form names it', async () => {
  const s = await schema();
  const refusal = async (input: Record<string, unknown>) => {
    const answer = await graphql({
      schema: s,
      source: 'mutation($input: StartPipelineInput!) { startPipeline(input: $input) { id } }',
      variableValues: { input: { experimentId: 'exp_1', ...input } },
    });
    assert.equal(answer.data, undefined, 'nothing ran');
    const error = answer.errors?.[0];
    assert.ok(error, 'refused');
    return { field: variableField(error.message), message: error.message };
  };
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ search: { preset: 'huge' } }, 'input.search.preset', /SearchPreset/],
    [{ search: { preset: 'tiny' } }, 'input.search.preset', /Did you mean the enum value "TINY"/],
    [{ search: { presets: 'TINY' } }, 'input.search.presets', /not defined by type "SearchSettingsInput"/],
    [{ search: { epochs: 1.5 } }, 'input.search.epochs', /Int cannot represent non-integer value/],
    [{ selection: { mode: 'GREEDY' } }, 'input.selection.mode', /SelectionMode/],
    [{ train: { threatModel: { norm: 'LINF' } } }, 'input.train.threatModel.epsilon', /was not provided/],
    [{ evaluate: { attacks: [{ name: 'PGD' }, { name: 'CW2' }] } }, 'input.evaluate.attacks[1].name', /Attack/],
  ];
  for (const [input, field, message] of cases) {
    const got = await refusal(input);
    assert.equal(got.field, field, got.message);
    assert.match(got.message, message);
  }
  assert.equal((await refusal({ experimentId: undefined })).field, 'input.experimentId');
});
