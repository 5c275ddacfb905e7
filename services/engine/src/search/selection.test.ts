import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ContractError, OPS, parseGenotype, type Genotype, type GenotypePair, type OpName } from '@lrnas/schema';
import { countParameters } from '../nn/cost.js';
import { DEFAULT_NETWORK_SHAPE, type NetworkShape } from '../nn/plan.js';
import { Rng } from '../random.js';
import { emptyGenotype, minimumParameters, parseDarts, selectGreedy, type SelectionMode } from './selection.js';
import { CELL_TYPES, filledMatrix, type CellType, type EdgeMatrices } from './space.js';

const SHAPE: NetworkShape = { ...DEFAULT_NETWORK_SHAPE };
const op = (name: OpName): number => OPS.indexOf(name);

/** Alphas where every edge's argmax is `none` at -10, except the given (cell, edge, op) = value entries. */
function alphasWith(entries: Array<[CellType, number, OpName, number]>): EdgeMatrices {
  const alphas = { normal: filledMatrix(-10), reduce: filledMatrix(-10) };
  for (const [cell, edge, name, value] of entries) (alphas[cell][edge] as number[])[op(name)] = value;
  return alphas;
}

function randomAlphas(rng: Rng, levels?: number): EdgeMatrices {
  // With `levels`, values come from a few integers, so ties (within and across edges) are common.
  const value = (): number => (levels ? rng.nextInt(levels) : 4 * rng.nextFloat() - 2);
  const matrix = (): number[][] => Array.from({ length: 14 }, () => Array.from({ length: 8 }, value));
  return { normal: matrix(), reduce: matrix() };
}

/** The empty genotype with some slots set: [cell, slot, op, input]. */
function genotypeWith(entries: Array<[CellType, number, OpName, number]>): Genotype {
  const g = emptyGenotype();
  for (const [cell, slot, name, input] of entries) g[cell][slot] = [name, input];
  return g;
}

/** The genotype with every `none` pair read from its slot's default input: `none` pairs differ only in inputs that do not matter. */
function ignoringNoneInputs(g: Genotype): Genotype {
  const fix = (pairs: GenotypePair[]): GenotypePair[] =>
    pairs.map(([name, input], slot): GenotypePair => [name, name === 'none' ? slot % 2 : input]);
  return { ...g, normal: fix(g.normal), reduce: fix(g.reduce) };
}

/** Node and input of each edge, written out (not via space.ts): node n has edges from states 0..n+1. */
const EDGE_TABLE: Array<[number, number]> = [0, 1, 2, 3].flatMap((node) =>
  Array.from({ length: node + 2 }, (_, input): [number, number] => [node, input]),
);

/**
 * A second implementation of section 6 to compare against: instead of sorting once, it scans the remaining
 * candidates for the maximum on every round (the first one found wins ties).
 */
function oracleGreedy(
  alphas: EdgeMatrices,
  budget: number,
  mode: SelectionMode,
): { genotype: Genotype; params: number } {
  const remaining: Array<{ cell: CellType; edge: number; op: number; value: number }> = [];
  for (const cell of CELL_TYPES) {
    alphas[cell].forEach((row, edge) => {
      let best = 0;
      row.forEach((v, o) => {
        if (v > (row[best] as number)) best = o;
      });
      remaining.push({ cell, edge, op: best, value: row[best] as number });
    });
  }
  const g = emptyGenotype();
  const used = { normal: [0, 0, 0, 0], reduce: [0, 0, 0, 0] };
  while (remaining.length > 0) {
    let k = 0;
    for (let i = 1; i < remaining.length; i++)
      if ((remaining[i]?.value as number) > (remaining[k]?.value as number)) k = i;
    const [c] = remaining.splice(k, 1);
    if (!c) break;
    const [node, input] = EDGE_TABLE[c.edge] as [number, number];
    if ((used[c.cell][node] as number) === 2) continue;
    const before = countParameters(g, SHAPE);
    const pair: GenotypePair = [OPS[c.op] as OpName, input];
    const trial = structuredClone(g);
    trial[c.cell][2 * node + (used[c.cell][node] as number)] = pair;
    const after = countParameters(trial, SHAPE);
    const ok = mode === 'reference' ? before <= budget || c.op <= 3 : after <= budget || after === before;
    if (!ok) continue;
    g[c.cell][2 * node + (used[c.cell][node] as number)] = pair;
    (used[c.cell][node] as number)++;
  }
  return { genotype: g, params: countParameters(g, SHAPE) };
}

const MINIMUM = countParameters(genotypeWith([]), SHAPE);
/** The biggest network: every slot sep_conv_5x5 (the op with the most parameters) on the cell inputs. */
const MAXIMUM = countParameters(
  {
    ...emptyGenotype(),
    normal: emptyGenotype().normal.map(([, input]): GenotypePair => ['sep_conv_5x5', input]),
    reduce: emptyGenotype().reduce.map(([, input]): GenotypePair => ['sep_conv_5x5', input]),
  },
  SHAPE,
);

test('strict mode never exceeds the budget on random alphas, and reports the exact count', () => {
  const rng = new Rng(11);
  const budgets = [MINIMUM, MINIMUM + 5000, 1_600_000, 2_000_000, 2_500_000, MAXIMUM - 1];
  let bound = 0;
  for (let trial = 0; trial < 40; trial++) {
    const alphas = randomAlphas(rng);
    for (const budget of budgets) {
      const { genotype, params, mode, trace } = selectGreedy(alphas, { budget, shape: SHAPE });
      assert.equal(mode, 'strict');
      assert.deepEqual(parseGenotype(genotype), genotype);
      assert.equal(params, countParameters(genotype, SHAPE));
      assert.ok(params <= budget, `trial ${trial}: ${params} > ${budget}`);
      assert.equal(trace.length, 28);
      if (trace.some((s) => s.decision === 'over budget')) bound++;
      for (const cell of CELL_TYPES) {
        for (let node = 0; node < 4; node++) {
          const placed = trace.filter(
            (s) => s.cell === cell && s.decision === 'placed' && EDGE_TABLE[s.edge]?.[0] === node,
          );
          assert.ok(placed.length <= 2);
        }
      }
    }
  }
  assert.ok(bound > 100, `the budget should bind in most runs, bound in ${bound}`);
});

test("the paper's budget of 2.0 M parameters at C=36, L=20 holds in strict mode", () => {
  const rng = new Rng(2025);
  for (let trial = 0; trial < 10; trial++) {
    const { genotype, params } = selectGreedy(randomAlphas(rng), { budget: 2_000_000, shape: SHAPE });
    assert.equal(countParameters(genotype, SHAPE), params);
    assert.ok(params <= 2_000_000, `${params}`);
    assert.ok(params > MINIMUM, 'something with parameters is placed');
  }
});

test('both modes agree with a scan-based re-derivation, also with many tied values', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 30; trial++) {
    const alphas = randomAlphas(rng, trial % 2 === 0 ? 3 : undefined);
    for (const budget of [MINIMUM, 1_700_000, 2_000_000, 2_600_000]) {
      for (const mode of ['strict', 'reference'] as const) {
        const got = selectGreedy(alphas, { budget, shape: SHAPE, mode });
        const want = oracleGreedy(alphas, budget, mode);
        assert.deepEqual(got.genotype, want.genotype, `trial ${trial}, ${mode}, budget ${budget}`);
        assert.equal(got.params, want.params);
      }
    }
  }
});

test('reference mode overshoots the budget where strict mode stays within it', () => {
  const alphas = alphasWith([
    ['normal', 0, 'sep_conv_3x3', 5], // node 0, input 0
    ['normal', 2, 'sep_conv_5x5', 4], // node 1, input 0: the large op that tips reference mode over
    ['normal', 5, 'dil_conv_3x3', 3], // node 2, input 0
    ['reduce', 0, 'skip_connect', 2], // node 0, input 0 of a reduction cell: FactorizedReduce, has parameters
    ['normal', 9, 'max_pool_3x3', 1], // node 3, input 0
    ['reduce', 4, 'skip_connect', 0.5], // node 1, input 2: identity, no parameters
  ]);
  const afterFirst = countParameters(genotypeWith([['normal', 0, 'sep_conv_3x3', 0]]), SHAPE);
  const budget = afterFirst + 1; // just under budget when the sep_conv_5x5 comes up

  const reference = selectGreedy(alphas, { budget, shape: SHAPE, mode: 'reference' });
  const referenceWant = genotypeWith([
    ['normal', 0, 'sep_conv_3x3', 0],
    ['normal', 2, 'sep_conv_5x5', 0],
    ['reduce', 0, 'skip_connect', 0], // over budget already, but index 3 passes in reference mode
    ['normal', 6, 'max_pool_3x3', 0],
    ['reduce', 2, 'skip_connect', 2],
  ]);
  assert.deepEqual(ignoringNoneInputs(reference.genotype), referenceWant);
  assert.equal(reference.params, countParameters(referenceWant, SHAPE));
  assert.ok(reference.params > budget, `reference: ${reference.params} should exceed ${budget}`);
  assert.deepEqual(
    reference.trace.slice(0, 6).map((s) => [s.cell, s.edge, s.op, s.decision]),
    [
      ['normal', 0, 'sep_conv_3x3', 'placed'],
      ['normal', 2, 'sep_conv_5x5', 'placed'],
      ['normal', 5, 'dil_conv_3x3', 'over budget'],
      ['reduce', 0, 'skip_connect', 'placed'],
      ['normal', 9, 'max_pool_3x3', 'placed'],
      ['reduce', 4, 'skip_connect', 'placed'],
    ],
  );

  const strict = selectGreedy(alphas, { budget, shape: SHAPE, mode: 'strict' });
  const strictWant = genotypeWith([
    ['normal', 0, 'sep_conv_3x3', 0],
    ['normal', 6, 'max_pool_3x3', 0],
    ['reduce', 2, 'skip_connect', 2],
  ]);
  assert.deepEqual(ignoringNoneInputs(strict.genotype), strictWant);
  assert.equal(strict.params, afterFirst);
  assert.ok(strict.params <= budget);
  assert.deepEqual(
    strict.trace.slice(0, 6).map((s) => s.decision),
    ['placed', 'over budget', 'over budget', 'over budget', 'placed', 'placed'],
    'strict rejects the FactorizedReduce skip but places the pool and the identity skip',
  );
});

test('strict mode places only parameter-free ops once the budget is exhausted', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 10; trial++) {
    const { genotype, params, trace } = selectGreedy(randomAlphas(rng), { budget: MINIMUM, shape: SHAPE });
    assert.equal(params, MINIMUM);
    const placed = trace.filter((s) => s.decision === 'placed');
    assert.ok(placed.length > 0);
    for (const s of placed) assert.ok(['none', 'max_pool_3x3', 'avg_pool_3x3', 'skip_connect'].includes(s.op), s.op);
    for (const s of trace.filter((t) => t.decision === 'over budget'))
      assert.ok(
        s.op.includes('conv') ||
          (s.cell === 'reduce' && s.op === 'skip_connect' && (EDGE_TABLE[s.edge]?.[1] as number) < 2),
        `${s.cell} ${s.edge} ${s.op}`,
      );
    assert.equal(countParameters(genotype, SHAPE), MINIMUM);
  }
});

test('equal values go to the earlier candidate: normal edges before reduction edges, lower edge first', () => {
  const normalCost = countParameters(genotypeWith([['normal', 6, 'sep_conv_3x3', 4]]), SHAPE) - MINIMUM;
  const reduceCost = countParameters(genotypeWith([['reduce', 0, 'sep_conv_3x3', 0]]), SHAPE) - MINIMUM;
  // Room for either op alone, not both.
  const budget = MINIMUM + Math.max(normalCost, reduceCost) + Math.min(normalCost, reduceCost) - 1;
  const run = (reduceValue: number) =>
    selectGreedy(
      alphasWith([
        ['normal', 13, 'sep_conv_3x3', 1], // node 3, input 4
        ['reduce', 0, 'sep_conv_3x3', reduceValue],
      ]),
      { budget, shape: SHAPE },
    )
      .trace.slice(0, 2)
      .map((s) => [s.cell, s.edge, s.decision]);
  assert.deepEqual(run(1), [
    ['normal', 13, 'placed'],
    ['reduce', 0, 'over budget'],
  ]);
  assert.deepEqual(run(1 + 1e-9), [
    ['reduce', 0, 'placed'],
    ['normal', 13, 'over budget'],
  ]);

  // Three equal candidates into node 1 (edges 2, 3, 4): the two lower edges take its slots, in order.
  const node1 = selectGreedy(
    alphasWith([
      ['normal', 4, 'dil_conv_5x5', 2],
      ['normal', 3, 'avg_pool_3x3', 2],
      ['normal', 2, 'skip_connect', 2],
    ]),
    { budget: MAXIMUM, shape: SHAPE },
  );
  assert.deepEqual(node1.genotype.normal.slice(2, 4), [
    ['skip_connect', 0],
    ['avg_pool_3x3', 1],
  ]);
  assert.deepEqual(
    node1.trace.slice(0, 3).map((s) => [s.edge, s.decision]),
    [
      [2, 'placed'],
      [3, 'placed'],
      [4, 'node full'],
    ],
  );
});

test("an edge's candidate is its argmax op including none; equal alphas pick the lower op index", () => {
  const alphas = alphasWith([
    ['normal', 0, 'sep_conv_3x3', 3],
    ['normal', 0, 'sep_conv_5x5', 3],
    ['normal', 1, 'none', 2], // none beats a lower dil_conv on the same edge
    ['normal', 1, 'dil_conv_3x3', 1],
    ['reduce', 5, 'avg_pool_3x3', 0.5],
    ['reduce', 5, 'max_pool_3x3', 0.5],
  ]);
  const { trace } = selectGreedy(alphas, { budget: MAXIMUM, shape: SHAPE });
  const candidate = (cell: CellType, edge: number) => trace.find((s) => s.cell === cell && s.edge === edge);
  assert.deepEqual([candidate('normal', 0)?.op, candidate('normal', 0)?.value], ['sep_conv_3x3', 3]);
  assert.deepEqual([candidate('normal', 1)?.op, candidate('normal', 1)?.value], ['none', 2]);
  assert.equal(candidate('reduce', 5)?.op, 'max_pool_3x3');
  assert.deepEqual([candidate('reduce', 6)?.op, candidate('reduce', 6)?.value], ['none', -10]);
  assert.deepEqual(
    trace.map((s) => s.value),
    [...trace.map((s) => s.value)].sort((a, b) => b - a),
    'highest value first',
  );
});

test('a node takes at most 2 ops, fills its slots in order, and none candidates occupy slots', () => {
  const alphas = alphasWith([
    ['normal', 3, 'none', 6], // node 1, input 1
    ['normal', 4, 'none', 5.5], // node 1, input 2
    ['normal', 2, 'sep_conv_3x3', 5], // node 1, input 0: a conv that finds node 1 full
    ['normal', 13, 'max_pool_3x3', 4], // node 3, input 4: first slot of node 3
    ['normal', 10, 'dil_conv_3x3', 3.5], // node 3, input 1: second slot
    ['normal', 9, 'sep_conv_5x5', 3], // node 3, input 0: full
    ['normal', 12, 'skip_connect', 2.5], // node 3: full
  ]);
  const { genotype, trace } = selectGreedy(alphas, { budget: MAXIMUM, shape: SHAPE });
  assert.deepEqual(genotype.normal.slice(2, 4), [
    ['none', 1],
    ['none', 2],
  ]);
  assert.deepEqual(genotype.normal.slice(6, 8), [
    ['max_pool_3x3', 4],
    ['dil_conv_3x3', 1],
  ]);
  assert.deepEqual(
    trace.slice(0, 7).map((s) => s.decision),
    ['placed', 'placed', 'node full', 'placed', 'placed', 'node full', 'node full'],
  );
  const placedPerNode = [0, 0, 0, 0];
  for (const s of trace) {
    const node = EDGE_TABLE[s.edge]?.[0] as number;
    if (s.cell === 'normal' && s.decision === 'placed') placedPerNode[node] = (placedPerNode[node] ?? 0) + 1;
  }
  assert.deepEqual(placedPerNode, [2, 2, 2, 2], 'with a large budget every node is filled');
  assert.equal(trace.filter((s) => s.decision === 'placed').length, 16);
});

test('a budget below the all-none network is an error naming the minimum in strict mode', () => {
  assert.equal(minimumParameters(SHAPE), MINIMUM);
  const alphas = randomAlphas(new Rng(5));
  assert.throws(
    () => selectGreedy(alphas, { budget: MINIMUM - 1, shape: SHAPE }),
    (error: unknown) =>
      error instanceof ContractError &&
      error.field === 'budget' &&
      error.message.includes(`minimum ${MINIMUM} parameters`),
  );
  const small: NetworkShape = { channels: 4, layers: 5, classes: 10, inputChannels: 1 };
  const smallMinimum = minimumParameters(small);
  assert.throws(
    () => selectGreedy(alphas, { budget: 10, shape: small }),
    new RegExp(`minimum ${smallMinimum} parameters`),
  );
  // Reference mode reproduces the released code, which has no such check: it falls back to cheap ops only.
  const reference = selectGreedy(alphas, { budget: 10, shape: small, mode: 'reference' });
  assert.ok(reference.trace.filter((s) => s.decision === 'placed').every((s) => OPS.indexOf(s.op) <= 3));
  assert.equal(selectGreedy(alphas, { budget: smallMinimum, shape: small }).params, smallMinimum);
});

test('reference mode under a budget below the all-none network places only ops of index <= 3 and overshoots', () => {
  const small: NetworkShape = { channels: 4, layers: 5, classes: 10, inputChannels: 1 };
  const minimum = minimumParameters(small);
  // Every edge's strongest op: a conv on the normal cell's first edges (refused), a pool and skips elsewhere.
  const alphas = alphasWith([
    ['normal', 0, 'sep_conv_3x3', 9],
    ['normal', 1, 'max_pool_3x3', 8],
    ['normal', 2, 'dil_conv_5x5', 7],
    ['normal', 3, 'skip_connect', 6],
    ['reduce', 0, 'skip_connect', 5],
    ['reduce', 1, 'avg_pool_3x3', 4],
  ]);
  const result = selectGreedy(alphas, { budget: minimum - 1, shape: small, mode: 'reference' });
  const placed = result.trace.filter((s) => s.decision === 'placed');
  assert.ok(
    placed.every((s) => OPS.indexOf(s.op) <= 3),
    'only none, pools and skip_connect',
  );
  assert.deepEqual(
    result.trace.filter((s) => s.decision === 'over budget').map((s) => [s.cell, s.edge, s.op]),
    [
      ['normal', 0, 'sep_conv_3x3'],
      ['normal', 2, 'dil_conv_5x5'],
    ],
  );
  const want = genotypeWith([
    ['normal', 0, 'max_pool_3x3', 1],
    ['normal', 2, 'skip_connect', 1],
    ['reduce', 0, 'skip_connect', 0],
    ['reduce', 1, 'avg_pool_3x3', 1],
  ]);
  assert.deepEqual(ignoringNoneInputs(result.genotype).normal.slice(0, 4), ignoringNoneInputs(want).normal.slice(0, 4));
  assert.deepEqual(ignoringNoneInputs(result.genotype).reduce.slice(0, 2), ignoringNoneInputs(want).reduce.slice(0, 2));
  assert.equal(result.params, countParameters(result.genotype, small));
  assert.ok(result.params > minimum - 1, 'the genotype returned overshoots the budget');
  // Strict mode keeps its error for the same budget.
  assert.throws(() => selectGreedy(alphas, { budget: minimum - 1, shape: small }), /minimum/);
});

test('selectGreedy rejects bad matrices, modes and budgets, naming them', () => {
  const alphas = randomAlphas(new Rng(1));
  const bad = structuredClone(alphas);
  (bad.reduce[3] as number[])[7] = Number.NaN;
  assert.throws(
    () => selectGreedy(bad, { budget: 2e6, shape: SHAPE }),
    /alphas\.reduce\[3\]\[7\]: expected a finite number, got NaN/,
  );
  assert.throws(
    () => parseDarts({ normal: alphas.normal, reduce: alphas.reduce.slice(1) }),
    /alphas\.reduce: expected 14 rows/,
  );
  assert.throws(
    () => selectGreedy(alphas, { budget: 2e6, shape: SHAPE, mode: 'loose' as SelectionMode }),
    /mode: must be one of strict, reference/,
  );
  for (const budget of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
    assert.throws(() => selectGreedy(alphas, { budget, shape: SHAPE }), /budget: must be a positive number/);
  assert.throws(
    () => selectGreedy(alphas, { budget: 2e6, shape: { ...SHAPE, layers: 0 } }),
    /layers: must be a positive integer/,
  );
});

test('parseDarts ranks edges by softmax weights, as DARTS does, on a hand-computed case', () => {
  const alphas = { normal: filledMatrix(0), reduce: filledMatrix(0) };
  // Node 1 (edges 2, 3, 4 from states 0, 1, 2).
  // Edge 2: none 5, sep_conv_3x3 3: softmax of sep_conv_3x3 = e^3 / (e^5 + e^3 + 6) = 0.1151.
  (alphas.normal[2] as number[])[op('none')] = 5;
  (alphas.normal[2] as number[])[op('sep_conv_3x3')] = 3;
  // Edge 3: dil_conv_5x5 1: e / (e + 7) = 0.2797.
  (alphas.normal[3] as number[])[op('dil_conv_5x5')] = 1;
  // Edge 4: all 0: every op 1/8 = 0.125; the best non-none op is the first, max_pool_3x3.
  // By raw alphas edge 2 (3) would rank first; by softmax the order is edge 3, edge 4, edge 2.
  // Reduction node 0: edge 0 all zeros (max_pool_3x3, 0.125), edge 1 avg_pool_3x3 = skip_connect = 2
  // (e^2 / (2 e^2 + 6) = 0.3556), where the lower op index wins.
  (alphas.reduce[1] as number[])[op('avg_pool_3x3')] = 2;
  (alphas.reduce[1] as number[])[op('skip_connect')] = 2;
  // Reduction node 3: edges 9..13 all zeros except edge 12 none 4: its best non-none op has
  // 1 / (e^4 + 7) = 0.0162, so the two tied all-zero edges from the lowest states win (states 0 and 1).
  (alphas.reduce[12] as number[])[op('none')] = 4;
  const genotype = parseDarts(alphas);
  assert.deepEqual(genotype, {
    normal: [
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
      ['dil_conv_5x5', 1],
      ['max_pool_3x3', 2],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
    ],
    normalConcat: [2, 3, 4, 5],
    reduce: [
      ['avg_pool_3x3', 1],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
      ['max_pool_3x3', 0],
      ['max_pool_3x3', 1],
    ],
    reduceConcat: [2, 3, 4, 5],
  });
});

test('parseDarts on random alphas matches a simple re-derivation', () => {
  // Per node: for every pair of incoming states, the pair whose weaker member is strongest wins; a
  // brute force over pairs, different from the sort in parseDarts.
  const derive = (matrix: number[][]): GenotypePair[] => {
    const pairs: GenotypePair[] = [];
    let edge = 0;
    for (let node = 0; node < 4; node++) {
      const best = Array.from({ length: node + 2 }, (_, input) => {
        const row = matrix[edge + input] as number[];
        const z = row.reduce((a, v) => a + Math.exp(v), 0);
        let k = 1;
        for (let o = 2; o < 8; o++) if ((row[o] as number) > (row[k] as number)) k = o;
        return { input, op: OPS[k] as OpName, w: Math.exp(row[k] as number) / z };
      });
      let chosen: [(typeof best)[number], (typeof best)[number]] | undefined;
      for (const a of best)
        for (const b of best) {
          if (b.input <= a.input) continue;
          const [hi, lo] = b.w > a.w ? [b, a] : [a, b];
          if (!chosen || lo.w > chosen[1].w || (lo.w === chosen[1].w && hi.w > chosen[0].w)) chosen = [hi, lo];
        }
      if (!chosen) throw new Error('no pair');
      pairs.push(...chosen.map((c): GenotypePair => [c.op, c.input]));
      edge += node + 2;
    }
    return pairs;
  };
  const rng = new Rng(99);
  for (let trial = 0; trial < 50; trial++) {
    const alphas = randomAlphas(rng);
    const genotype = parseDarts(alphas);
    assert.deepEqual(parseGenotype(genotype), genotype);
    assert.deepEqual(genotype.normal, derive(alphas.normal), `trial ${trial}`);
    assert.deepEqual(genotype.reduce, derive(alphas.reduce), `trial ${trial}`);
  }
});
