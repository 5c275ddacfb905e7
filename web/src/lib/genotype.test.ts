import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { Genotype } from '@lrnas/schema';
import { diffGenotypes, readGenotype } from './genotype.js';

const GENOTYPES = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
) as Record<string, Genotype>;
const darts = GENOTYPES.DARTS_V2!;
const lrnas = GENOTYPES.LRNAS_C10!;

test('the diff of a genotype with itself is empty; the order of a node’s pairs does not matter', () => {
  const swapped: Genotype = structuredClone(darts);
  [swapped.normal[0], swapped.normal[1]] = [swapped.normal[1]!, swapped.normal[0]!];
  for (const cell of diffGenotypes(darts, swapped)) {
    assert.equal(cell.changed, false, cell.cell);
    assert.ok(cell.nodes.every((n) => n.same.length === 2));
  }
});

test('a changed pair shows on its node only, on each side', () => {
  const changed: Genotype = structuredClone(darts);
  changed.reduce[3] = ['dil_conv_5x5', 0];
  const [normal, reduce] = diffGenotypes(darts, changed);
  assert.equal(normal!.changed, false);
  assert.equal(reduce!.changed, true);
  assert.deepEqual(reduce!.nodes[1]!.onlyA, [darts.reduce[3]]);
  assert.deepEqual(reduce!.nodes[1]!.onlyB, [['dil_conv_5x5', 0]]);
  assert.ok(reduce!.nodes.filter((n) => n.node !== 1).every((n) => n.onlyA.length === 0 && n.onlyB.length === 0));
});

test('two different genotypes differ in both cells', () => {
  assert.ok(diffGenotypes(darts, lrnas).every((c) => c.changed));
});

test('a malformed genotype from the API is reported, not drawn', () => {
  assert.deepEqual(readGenotype(null), { genotype: null });
  const bad = readGenotype({ ...darts, normal: darts.normal.slice(0, 3) });
  assert.equal(bad.genotype, null);
  assert.match(bad.error!, /normal/);
});
