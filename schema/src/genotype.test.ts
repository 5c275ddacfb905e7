import { createHash } from 'node:crypto';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContractError } from './errors.js';
import {
  OPS,
  canonicalGenotype,
  genotypeHash,
  genotypeToCanonicalJson,
  parseGenotype,
  type Genotype,
} from './genotype.js';

const published = JSON.parse(
  fs.readFileSync(new URL('../test/fixtures/genotypes.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const dartsV2 = () => structuredClone(published.DARTS_V2) as Genotype;

function rejects(value: unknown, field: string, reason: RegExp): void {
  assert.throws(
    () => parseGenotype(value),
    (error: unknown) => {
      assert.ok(error instanceof ContractError, `expected a ContractError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.reason, reason);
      return true;
    },
  );
}

test('the published genotypes parse unchanged', () => {
  for (const [name, genotype] of Object.entries(published)) {
    assert.deepEqual(parseGenotype(genotype), genotype, name);
  }
});

test('parseGenotype names the offending field', () => {
  rejects(null, '', /expected a genotype object, got null/);
  rejects([], '', /got an array of 0/);
  rejects({ ...dartsV2(), extra: 1 }, 'extra', /unknown field/);
  rejects({ ...dartsV2(), normal: undefined }, 'normal', /expected an array of 8/);
  rejects({ ...dartsV2(), reduce: dartsV2().reduce.slice(0, 7) }, 'reduce', /expected 8 .* got 7/);
  const g = dartsV2();
  (g.normal[2] as unknown[]) = ['sep_conv_3x3'];
  rejects(g, 'normal[2]', /expected an \[op, input\] pair/);
  const unknownOp = dartsV2();
  (unknownOp.reduce[1] as unknown[])[0] = 'conv_7x7';
  rejects(unknownOp, 'reduce[1][0]', /unknown operation "conv_7x7"/);
  const wrongType = dartsV2();
  (wrongType.normal[0] as unknown[])[1] = '0';
  rejects(wrongType, 'normal[0][1]', /whole number from 0 to 1, got "0"/);
  const fractional = dartsV2();
  (fractional.normal[0] as unknown[])[1] = 0.5;
  rejects(fractional, 'normal[0][1]', /got 0.5/);
  const negative = dartsV2();
  (negative.normal[0] as unknown[])[1] = -1;
  rejects(negative, 'normal[0][1]', /got -1/);
  rejects({ ...dartsV2(), normalConcat: [2, 3, 4] }, 'normalConcat', /must be \[2, 3, 4, 5\]/);
});

test('inputs pointing at the node itself or later nodes are rejected', () => {
  // Slot 5 belongs to node 2, which may draw from states 0..3 (inputs, nodes 0 and 1).
  const ok = dartsV2();
  ok.reduce[5] = ['skip_connect', 3];
  assert.doesNotThrow(() => parseGenotype(ok));
  const later = dartsV2();
  later.reduce[5] = ['skip_connect', 4];
  rejects(later, 'reduce[5][1]', /input 4 points at a later node \(node 2 takes inputs 0\.\.3\)/);
  const first = dartsV2();
  first.normal[0] = ['skip_connect', 2];
  rejects(first, 'normal[0][1]', /node 0 takes inputs 0\.\.1/);
});

test('hostile values are refused without echoing them whole', () => {
  const huge = dartsV2();
  (huge.normal[0] as unknown[])[0] = 'x'.repeat(5_000_000);
  assert.throws(
    () => parseGenotype(huge),
    (error: unknown) => error instanceof ContractError && error.message.length < 300,
  );
  const proto = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(dartsV2()).slice(1)}`) as unknown;
  rejects(proto, '__proto__', /unknown field/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  rejects({ ...dartsV2(), normal: Array(8).fill(['none', Number.POSITIVE_INFINITY]) }, 'normal[0][1]', /got Infinity/);
});

test('canonical form orders the two pairs of each node and keeps everything else', () => {
  const g = dartsV2();
  const swapped = dartsV2();
  // Node 2 of the normal cell: (sep_conv_3x3, 1), (skip_connect, 0) -> swapped order.
  [swapped.normal[4], swapped.normal[5]] = [swapped.normal[5]!, swapped.normal[4]!];
  assert.deepEqual(canonicalGenotype(g), canonicalGenotype(swapped));
  assert.equal(genotypeHash(g), genotypeHash(swapped));
  const canonical = canonicalGenotype(g);
  assert.deepEqual(canonical.normal[4], ['skip_connect', 0]);
  assert.deepEqual(canonical.normal[5], ['sep_conv_3x3', 1]);
  // Same input: ordered by op index.
  const sameInput = dartsV2();
  sameInput.reduce[0] = ['max_pool_3x3', 0];
  sameInput.reduce[1] = ['avg_pool_3x3', 0];
  assert.deepEqual(canonicalGenotype(sameInput).reduce.slice(0, 2), [
    ['max_pool_3x3', 0],
    ['avg_pool_3x3', 0],
  ]);
  assert.ok(OPS.indexOf('max_pool_3x3') < OPS.indexOf('avg_pool_3x3'));
});

test('canonical JSON has a fixed key order and no white space, and the hash is its SHA-256', () => {
  const g = dartsV2();
  const reordered = { reduceConcat: g.reduceConcat, reduce: g.reduce, normalConcat: g.normalConcat, normal: g.normal };
  const json = genotypeToCanonicalJson(reordered);
  assert.equal(json, genotypeToCanonicalJson(g));
  assert.ok(json.startsWith('{"normal":[["sep_conv_3x3",0],["sep_conv_3x3",1],'));
  assert.doesNotMatch(json, /\s/);
  assert.equal(genotypeHash(g), createHash('sha256').update(json).digest('hex'));
});

test('different architectures get different hashes', () => {
  const hashes = new Set(Object.values(published).map((g) => genotypeHash(g as Genotype)));
  assert.equal(hashes.size, Object.keys(published).length);
  const changed = dartsV2();
  changed.normal[7] = ['dil_conv_5x5', 2];
  assert.notEqual(genotypeHash(changed), genotypeHash(dartsV2()));
});
