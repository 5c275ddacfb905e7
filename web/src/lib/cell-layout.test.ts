import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import type { Genotype } from '@lrnas/schema';
import { cellEdges, layoutCell, overlaps, stateLabel, type Box } from './cell-layout.js';
import { CELL_NAMES } from './genotype.js';

const GENOTYPES = JSON.parse(
  fs.readFileSync(new URL('../../../schema/test/fixtures/genotypes.json', import.meta.url), 'utf8'),
) as Record<string, Genotype>;
const darts = GENOTYPES.DARTS_V2!;
const lrnas = GENOTYPES.LRNAS_C10!;

const inside = (b: Box, width: number, height: number) =>
  b.x >= 0 && b.y >= 0 && b.x + b.width <= width && b.y + b.height <= height;

test('state names: the inputs c_{k-2} and c_{k-1} as text with a subscript, the nodes by number, the output c_k', () => {
  assert.deepEqual([0, 1, 2, 5, 'out' as const].map(stateLabel), [
    { base: 'c', sub: 'k-2' },
    { base: 'c', sub: 'k-1' },
    { base: '0' },
    { base: '3' },
    { base: 'c', sub: 'k' },
  ]);
});

for (const [name, genotype] of Object.entries(GENOTYPES)) {
  for (const cell of CELL_NAMES) {
    test(`${name} ${cell}: every pair an edge from its input, labels apart from each other and from the nodes`, () => {
      const placed = layoutCell(cellEdges(genotype, cell));
      assert.equal(placed.nodes.length, 7);
      const labelled = placed.edges.filter((e) => e.op);
      assert.equal(labelled.length, 8);
      genotype[cell].forEach(([op, input], slot) =>
        assert.ok(
          labelled.some((e) => e.op === op && e.from === input && e.to === Math.floor(slot / 2) + 2),
          `pair ${slot}`,
        ),
      );
      assert.equal(placed.edges.length - 8, genotype[`${cell}Concat`].length, 'one edge per concatenated state');
      const boxes: Box[] = [...placed.nodes, ...labelled.map((e) => e.label!)];
      for (const [i, a] of boxes.entries()) {
        assert.ok(inside(a, placed.width, placed.height), `box ${i} inside the drawing`);
        for (const b of boxes.slice(i + 1)) assert.ok(!overlaps(a, b), `${JSON.stringify(a)} and ${JSON.stringify(b)}`);
      }
      // An edge starts on its source's box and ends on its target's (dagre clips to the border).
      for (const e of placed.edges) {
        const near = (p: { x: number; y: number }, id: string) => {
          const n = placed.nodes.find((node) => node.id === id)!;
          return (
            Math.abs(p.x - (n.x + n.width / 2)) <= n.width / 2 + 1 &&
            Math.abs(p.y - (n.y + n.height / 2)) <= n.height / 2 + 1
          );
        };
        assert.ok(near(e.points[0]!, `s${e.from}`));
        assert.ok(near(e.points.at(-1)!, e.to === 'out' ? 'out' : `s${e.to}`));
      }
    });
  }
}

test('a diff is one drawing: edges of both, what only one has marked removed (−) or added (+)', () => {
  for (const cell of CELL_NAMES) {
    const edges = cellEdges(darts, cell, lrnas);
    const ops = (change: string[]) =>
      edges
        .filter((e) => e.op && change.includes(e.change))
        .map((e) => `${e.op}/${e.from}/${e.to}`)
        .sort();
    const pairs = (g: Genotype) =>
      g[cell].map(([op, input], slot) => `${op}/${input}/${Math.floor(slot / 2) + 2}`).sort();
    assert.deepEqual(ops(['same', 'removed']), pairs(darts));
    assert.deepEqual(ops(['same', 'added']), pairs(lrnas));
    const placed = layoutCell(edges);
    for (const e of placed.edges.filter((x) => x.op)) {
      assert.equal(e.label!.text, `${{ same: '', removed: '− ', added: '+ ' }[e.change]}${e.op}`);
    }
  }
  assert.ok(cellEdges(darts, 'normal').every((e) => e.change === 'same'));
});

test('both pairs of a node from the same state: two edges, two labels, apart', () => {
  const twin: Genotype = structuredClone(darts);
  twin.normal[0] = ['sep_conv_3x3', 1];
  twin.normal[1] = ['max_pool_3x3', 1];
  const placed = layoutCell(cellEdges(twin, 'normal'));
  const fromOne = placed.edges.filter((e) => e.from === 1 && e.to === 2);
  assert.deepEqual(fromOne.map((e) => e.op).sort(), ['max_pool_3x3', 'sep_conv_3x3']);
  assert.ok(!overlaps(fromOne[0]!.label!, fromOne[1]!.label!));
});
