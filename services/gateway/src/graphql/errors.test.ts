import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GraphQLError } from 'graphql';
import { ContractError, ErrorCode, LrnasError } from '@lrnas/schema';
import { makeErrorFormatter } from './errors.js';

test('internal errors are masked for clients and logged with a reference', () => {
  const lines: string[] = [];
  const format = makeErrorFormatter((line) => lines.push(line));
  const leaked = new Error('relation "runs" violates constraint at 10.0.0.3:5432');
  const out = format({ message: leaked.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, leaked);
  assert.equal(out.extensions?.code, ErrorCode.INTERNAL);
  assert.doesNotMatch(out.message, /relation|10\.0\.0\.3/);
  const reference = /reference ([0-9a-f]+)/.exec(out.message)![1]!;
  assert.ok(lines.some((l) => l.includes(reference) && l.includes('violates constraint')));
});

test('errors raised on purpose keep their message, code and field', () => {
  const format = makeErrorFormatter(() => {});
  const contract = new ContractError('input.seed', 'must be positive');
  const wrapped = new GraphQLError(contract.message, { originalError: contract });
  assert.deepEqual(format({ message: contract.message }, wrapped).extensions, {
    code: 'BAD_INPUT',
    field: 'input.seed',
  });
  const conflict = new LrnasError(ErrorCode.CONFLICT, 'run r already SUCCEEDED');
  assert.equal(format({ message: 'x' }, conflict).message, 'run r already SUCCEEDED');
  assert.equal(
    format({ message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, new Error()).extensions
      ?.code,
    'BAD_INPUT',
  );
});
