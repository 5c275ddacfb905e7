import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseGenotype } from '@lrnas/schema';
import { Rng } from '../random.js';
import { initialMomentum } from '../search/alpha-update.js';
import { estimateContributions, type ContributionEstimate } from '../search/contribution.js';
import { mixingWeights } from '../search/mixing.js';
import { EnginePool, resolveThreadCount, splitBatch, type HostBatch } from './pool.js';
import type { ModelSpec } from './protocol.js';

/**
 * Tolerance of N-thread training against one thread: the threads compute the same sums in another order
 * (per-thread partial sums of BN statistics and gradients added in float64, then rounded), so after a few
 * SGD steps parameters and BN running statistics agree to |a - b| <= 1e-4 + 1e-3 |a|.
 */
const ABS = 1e-4;
const REL = 1e-3;

function batchOf(n: number, size: number, channels: number, seed: number): HostBatch {
  return {
    x: new Rng(seed).fillUniform(new Float32Array(n * size * size * channels), 0, 1),
    shape: [n, size, size, channels],
    y: Int32Array.from({ length: n }, (_, i) => (i * 7) % 10),
  };
}

/** Largest violation of the tolerance over every variable (0 when within it), with the variable's name. */
function worst(a: Record<string, Float32Array>, b: Record<string, Float32Array>): { excess: number; name: string } {
  let out = { excess: 0, name: '' };
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const [name, values] of Object.entries(a)) {
    const other = b[name] as Float32Array;
    for (let i = 0; i < values.length; i++) {
      const excess =
        Math.abs((values[i] as number) - (other[i] as number)) - (ABS + REL * Math.abs(values[i] as number));
      if (excess > out.excess) out = { excess, name };
    }
  }
  return out;
}

const SGD = { momentum: 0.9, weightDecay: 3e-4, clip: 5 };
const SUPERNET: ModelSpec = {
  kind: 'supernet',
  options: { channels: 4, layers: 3, classes: 10, inputChannels: 1, seed: 5 },
};
const GENOTYPE = parseGenotype({
  normal: [
    ['sep_conv_3x3', 0],
    ['skip_connect', 1],
    ['dil_conv_3x3', 1],
    ['avg_pool_3x3', 0],
    ['max_pool_3x3', 2],
    ['sep_conv_5x5', 1],
    ['skip_connect', 3],
    ['dil_conv_5x5', 0],
  ],
  normalConcat: [2, 3, 4, 5],
  reduce: [
    ['max_pool_3x3', 0],
    ['sep_conv_3x3', 1],
    ['skip_connect', 2],
    ['avg_pool_3x3', 1],
    ['dil_conv_3x3', 0],
    ['skip_connect', 2],
    ['none', 2],
    ['max_pool_3x3', 1],
  ],
  reduceConcat: [2, 3, 4, 5],
});
const EVAL: ModelSpec = {
  kind: 'eval',
  genotype: GENOTYPE,
  options: { channels: 4, layers: 3, classes: 10, inputChannels: 3, seed: 6 },
};

test('splitBatch gives contiguous near-equal parts covering the batch', () => {
  assert.deepEqual(splitBatch(10, 3), [
    [0, 4],
    [4, 7],
    [7, 10],
  ]);
  assert.deepEqual(splitBatch(1, 2), [
    [0, 1],
    [1, 1],
  ]);
});

test('resolveThreadCount: flag, then LRNAS_THREADS, then the cores; bad values are named', () => {
  assert.equal(resolveThreadCount(3, { LRNAS_THREADS: '5' }), 3);
  assert.equal(resolveThreadCount(undefined, { LRNAS_THREADS: '5' }), 5);
  assert.ok(resolveThreadCount(undefined, {}) >= 1);
  assert.throws(() => resolveThreadCount('0', {}), /--threads/);
  assert.throws(() => resolveThreadCount(undefined, { LRNAS_THREADS: 'two' }), /LRNAS_THREADS/);
});

/** Trains `steps` SGD steps on pools of 1 and 2 threads; returns both final states and losses. */
async function trainOnBoth(model: ModelSpec, batch: HostBatch, steps: number, supernet: boolean) {
  const weights = supernet ? mixingWeights(initialMomentum(new Rng(9))) : undefined;
  const results = [];
  for (const threads of [1, 2]) {
    const pool = await EnginePool.start({ threads, model, backend: 'wasm' });
    try {
      const losses = [];
      for (let s = 0; s < steps; s++) losses.push((await pool.trainStep(batch, SGD, 0.1, weights)).loss);
      results.push({ losses, state: await pool.state() });
    } finally {
      await pool.close();
    }
  }
  return results as [(typeof results)[0], (typeof results)[0]];
}

describe('data-parallel training equals one thread within the stated tolerance', () => {
  test('supernet (non-affine BN, batch statistics summed over the threads)', async () => {
    const [one, two] = await trainOnBoth(SUPERNET, batchOf(12, 8, 1, 1), 3, true);
    for (let s = 0; s < 3; s++) assert.ok(Math.abs((one.losses[s] as number) - (two.losses[s] as number)) < 1e-4);
    assert.notDeepEqual(one.state, await initialState(SUPERNET), 'the steps changed the weights');
    const w = worst(one.state, two.state);
    assert.equal(w.excess, 0, `${w.name} differs by ${w.excess} beyond the tolerance`);
  });

  test('evaluation network (affine BN: scale and shift gradients summed like the others)', async () => {
    const [one, two] = await trainOnBoth(EVAL, batchOf(10, 8, 3, 2), 3, false);
    const w = worst(one.state, two.state);
    assert.equal(w.excess, 0, `${w.name} differs by ${w.excess} beyond the tolerance`);
  });
});

async function initialState(model: ModelSpec): Promise<Record<string, Float32Array>> {
  const pool = await EnginePool.start({ threads: 1, model, backend: 'wasm' });
  try {
    return await pool.state();
  } finally {
    await pool.close();
  }
}

describe('inference over threads', () => {
  let one: EnginePool;
  let three: EnginePool;
  before(async () => {
    one = await EnginePool.start({ threads: 1, model: EVAL, backend: 'wasm' });
    three = await EnginePool.start({ threads: 3, model: EVAL, backend: 'wasm' });
  });
  after(async () => {
    await Promise.all([one?.close(), three?.close()]);
  });

  test('logits and input gradients of a split batch are those of the whole batch', async () => {
    const batch = batchOf(7, 8, 3, 3);
    const [a, b] = await Promise.all([one.logits(batch), three.logits(batch)]);
    assert.equal(a.logits.length, 70);
    for (let i = 0; i < a.logits.length; i++)
      assert.ok(Math.abs((a.logits[i] as number) - (b.logits[i] as number)) < 1e-5);
    const [ga, gb] = await Promise.all([one.inputGradient(batch), three.inputGradient(batch)]);
    assert.ok(Math.abs(ga.loss - gb.loss) < 1e-5);
    assert.ok(ga.grad.some((v) => v !== 0));
    for (let i = 0; i < ga.grad.length; i++)
      assert.ok(Math.abs((ga.grad[i] as number) - (gb.grad[i] as number)) < 1e-6);
  });

  test('bad input is rejected naming what is wrong', async () => {
    const batch = batchOf(2, 8, 3, 4);
    await assert.rejects(three.logits({ ...batch, y: new Int32Array(3) }), /y.*3 labels for a batch of 2/);
    await assert.rejects(three.trainStep(batch, SGD, 0.1), /batch.*of 2 images cannot train on 3 threads/);
  });
});

describe('contribution estimation over threads', () => {
  // Architecture weights of the start of a search: 1e-3 * N(0, 1), the shape of the initial momentum.
  const alphas = initialMomentum(new Rng(11));
  const batch = batchOf(8, 8, 1, 12);

  /** A supernet trained a little on `batch`, so that removing players changes its predictions. */
  async function trainedState(): Promise<Record<string, Float32Array>> {
    const pool = await EnginePool.start({ threads: 1, model: SUPERNET, backend: 'wasm' });
    try {
      for (let s = 0; s < 12; s++) await pool.trainStep(batch, SGD, 0.1, mixingWeights(alphas));
      return await pool.state();
    } finally {
      await pool.close();
    }
  }

  /** One estimate (reference mode: whole walks) on a pool of `threads`, each request's prefixes split over them. */
  async function estimate(
    state: Record<string, Float32Array>,
    threads: number,
    concurrency: number,
  ): Promise<ContributionEstimate> {
    const pool = await EnginePool.start({ threads, model: SUPERNET, backend: 'wasm' });
    try {
      await pool.setState(state);
      const adversarial = await pool.fgsm(alphas, batch, 0.1, null, 'batch');
      return await estimateContributions(
        async () => pool.scorer(alphas, batch, adversarial, { maxGroups: 8, statistics: 'batch' }),
        { mode: 'reference', permutations: 2, rng: new Rng(13), chunk: 8 * threads, concurrency },
      );
    } finally {
      await pool.close();
    }
  }

  test('gives exactly the estimate of one thread', async () => {
    const state = await trainedState();
    const one = await estimate(state, 1, 1);
    const two = await estimate(state, 2, 2);
    assert.ok(
      one.clean.some((v) => v !== 0),
      `removals changed some accuracies (clean drops ${[...new Set(one.clean)].join(', ')})`,
    );
    assert.deepEqual(two.values, one.values);
    assert.deepEqual(two.clean, one.clean);
    assert.deepEqual(two.adversarial, one.adversarial);
  });
});
