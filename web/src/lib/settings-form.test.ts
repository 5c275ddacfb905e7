import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateConfigSchema, searchConfigSchema, selectionConfigSchema, trainConfigSchema } from '@lrnas/schema';
import { FIELDS, buildStartInput, fieldOfServerError, parseAttacks } from './settings-form.js';

test('the form has a field for every setting of the job contract', () => {
  const sections = {
    search: searchConfigSchema,
    selection: selectionConfigSchema,
    train: trainConfigSchema,
    evaluate: evaluateConfigSchema,
  };
  for (const [section, schema] of Object.entries(sections)) {
    for (const key of Object.keys(schema.shape)) {
      assert.ok(
        FIELDS.some((f) => f.id === `${section}.${key}` || f.id.startsWith(`${section}.${key}.`)),
        `${section}.${key} has a field`,
      );
    }
  }
});

test('typed values become the mutation input, enums by their API names; empty fields are left out for the defaults', () => {
  const { input, errors } = buildStartInput('pipeline', 'exp-1', {
    seed: '3',
    trainLimit: '48',
    tags: 'a, b,',
    'search.preset': 'tiny',
    'search.epochs': '2',
    'search.learningRate': '0.05',
    'search.momentum': '',
    'selection.budget': '7000',
    'train.threatModel.norm': 'linf',
    'train.threatModel.epsilon': '0.1',
    'train.milestones': '1, 2',
    'train.augment': 'false',
    'evaluate.attacks': 'pgd:20:0.01, fgsm',
  });
  assert.deepEqual(errors, {});
  assert.deepEqual(input, {
    experimentId: 'exp-1',
    seed: 3,
    trainLimit: 48,
    tags: ['a', 'b'],
    search: { preset: 'TINY', epochs: 2, learningRate: 0.05 },
    selection: { budget: 7000 },
    train: { threatModel: { norm: 'LINF', epsilon: 0.1 }, milestones: [1, 2], augment: false },
    evaluate: { attacks: [{ name: 'PGD', steps: 20, stepSize: 0.01 }, { name: 'FGSM' }] },
  });
});

test('a search leaves out the training and evaluation sections', () => {
  const { input } = buildStartInput('search', 'e', { 'search.epochs': '1', 'train.epochs': '5' });
  assert.deepEqual(input, { experimentId: 'e', search: { epochs: 1 } });
});

test('each wrong field gets its own message, checked with the contract schemas', () => {
  const { errors } = buildStartInput('pipeline', 'e', {
    'search.epochs': 'two',
    'search.momentum': '1.5',
    'search.channels': '0',
    'selection.budget': '12.5',
    'train.threatModel.epsilon': '0.1',
    'evaluate.attacks': 'pgd:x',
    'evaluate.examples': '-3',
  });
  assert.match(errors['search.epochs']!, /whole number/);
  assert.ok(errors['search.momentum'], 'momentum above 1');
  assert.ok(errors['search.channels'], 'zero channels');
  assert.ok(errors['selection.budget'], 'a fractional budget');
  assert.match(errors['train.threatModel.norm']!, /both a norm and an epsilon/);
  assert.match(errors['evaluate.attacks']!, /steps of pgd/);
  assert.ok(errors['evaluate.examples']);
});

test('attacks: name:steps:stepSize:restarts, unknown names refused', () => {
  assert.deepEqual(parseAttacks('apgd-ce:100::2'), [{ name: 'apgd-ce', steps: 100, restarts: 2 }]);
  assert.throws(() => parseAttacks('bim'), /"bim" is not an attack/);
  assert.throws(() => parseAttacks(' , '), /at least one/);
});

test("the server's error fields map to the form's fields", () => {
  assert.equal(fieldOfServerError('input.selection.budget'), 'selection.budget');
  assert.equal(fieldOfServerError('input.evaluate.attacks[0].steps'), 'evaluate.attacks');
  assert.equal(fieldOfServerError('input.train.threatModel.epsilon'), 'train.threatModel.epsilon');
  assert.equal(fieldOfServerError('input.experimentId'), undefined);
  assert.equal(fieldOfServerError(undefined), undefined);
});
