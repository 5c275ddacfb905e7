import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { estimateContributions } from './contribution.js';
import type { AccuracyPair, ContributionEstimate, EstimateOptions, PermutationScorer } from './contribution.js';
import { PLAYER_COUNT } from './space.js';

/** A cooperative game: the supernet's accuracies once the players in `removed` are switched off. */
type Game = (removed: ReadonlySet<number>) => AccuracyPair;

interface Call {
  permutation: number;
  from: number;
  count: number;
}

/** Fake scorers over a known game that record every request and enforce the scorer contract. */
class Recorder {
  readonly calls: Call[] = [];
  readonly orders: number[][] = [];
  disposed = 0;

  constructor(private readonly game: Game) {}

  readonly scorerFor = async (permutation: number): Promise<PermutationScorer> => {
    const removed = new Set<number>();
    let next = 0;
    let seen: readonly number[] | null = null;
    return {
      prefixes: async (order, from, count) => {
        assert.equal(from, next, 'calls come with contiguous, increasing from');
        assert.ok(count >= 1 && from + count <= PLAYER_COUNT + 1, `request ${from}+${count} stays within 0..224`);
        if (seen === null) {
          seen = order;
          this.orders[permutation] = [...order];
        }
        assert.equal(order, seen, 'one permutation keeps one order');
        this.calls.push({ permutation, from, count });
        const out: AccuracyPair[] = [];
        for (let t = from; t < from + count; t++) {
          if (t > 0) removed.add(order[t - 1] as number);
          out.push(this.game(removed));
        }
        next = from + count;
        return out;
      },
      dispose: () => {
        this.disposed++;
      },
    };
  };

  /** Highest prefix length requested for a permutation. */
  maxPrefix(permutation: number): number {
    return Math.max(...this.calls.filter((c) => c.permutation === permutation).map((c) => c.from + c.count - 1));
  }
}

/** Dyadic weights, so sums and differences of them are exact in floating point. */
const cleanWeights = Array.from({ length: PLAYER_COUNT }, (_, p) => ((p * 5) % 7) / 4096);
const advWeights = Array.from({ length: PLAYER_COUNT }, (_, p) => ((p * 3 + 1) % 5) / 8192);
const sumOver = (weights: number[], removed: ReadonlySet<number>): number =>
  [...removed].reduce((s, p) => s + (weights[p] as number), 0);

/** Additive game: removing a set costs the sum of its weights (never below the half-accuracy threshold). */
const additive: Game = (removed) => ({
  clean: Math.max(0, 1 - sumOver(cleanWeights, removed)),
  adversarial: Math.max(0, 0.75 - sumOver(advWeights, removed)),
});

/** Clean accuracy collapses once `cleanAt` players are gone, adversarial once `advAt` are; small additive costs before. */
const collapsing =
  (cleanAt: number, advAt: number): Game =>
  (removed) => ({
    clean: removed.size >= cleanAt ? 0.25 : 0.875 - sumOver(cleanWeights, removed) / 4,
    adversarial: removed.size >= advAt ? 0.0625 : 0.5 - sumOver(advWeights, removed) / 4,
  });

/** A non-additive game with interactions, to check the bookkeeping against a plain recomputation. */
const tangled: Game = (removed) => {
  let clean = 0.9;
  let adversarial = 0.6;
  for (const p of removed) {
    clean -= ((p * 37) % 11) / 2000;
    adversarial -= ((p * 13) % 7) / 1500;
    if (p % 9 === 0 && removed.has(p + 1)) clean -= 0.01;
    if (p % 5 === 0 && removed.has(p + 2)) adversarial += 0.004;
  }
  return { clean: Math.max(0, clean), adversarial: Math.min(1, Math.max(0, adversarial)) };
};

const options = (over: Partial<EstimateOptions> = {}): EstimateOptions => ({
  mode: 'shapley',
  permutations: 3,
  rng: new Rng(11),
  ...over,
});

/** Plain population z-score, written independently of zscore.ts. */
function plainZ(xs: number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return xs.map((x) => (sd === 0 ? 0 : (x - mean) / sd));
}

/** Recomputes one permutation's drops straight from the definition in lrnas-method.md section 4. */
function plainDrops(game: Game, order: number[], mode: 'reference' | 'shapley'): { clean: number[]; adv: number[] } {
  const accs: AccuracyPair[] = [];
  for (let t = 0; t <= PLAYER_COUNT; t++) accs.push(game(new Set(order.slice(0, t))));
  const series = (key: keyof AccuracyPair): number[] => {
    const drops = new Array<number>(PLAYER_COUNT).fill(0);
    const full = (accs[0] as AccuracyPair)[key];
    let truncated = mode === 'shapley' && full === 0;
    for (let t = 1; t <= PLAYER_COUNT && !truncated; t++) {
      const acc = (accs[t] as AccuracyPair)[key];
      drops[order[t - 1] as number] = mode === 'reference' ? full - acc : (accs[t - 1] as AccuracyPair)[key] - acc;
      if (mode === 'shapley' && acc < full / 2) truncated = true;
    }
    return drops;
  };
  return { clean: series('clean'), adv: series('adversarial') };
}

const assertClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void => {
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= tol, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
};

test('shapley mode: in an additive game every marginal drop is exactly the player weight', async () => {
  const rec = new Recorder(additive);
  const est = await estimateContributions(rec.scorerFor, options({ permutations: 3 }));
  assert.deepEqual(est.clean, Float64Array.from(cleanWeights));
  assert.deepEqual(est.adversarial, Float64Array.from(advWeights));
  assert.deepEqual(est.truncatedAt, [PLAYER_COUNT, PLAYER_COUNT, PLAYER_COUNT]);
  assert.equal(est.prefixEvaluations, 3 * 225);
  assert.equal(est.naivePrefixEvaluations, 3 * 225);
  assert.equal(rec.disposed, 3);
  // The same drops in every permutation: values are z(w) + z(u) of the weights themselves.
  const want = plainZ(cleanWeights).map((z, p) => z + (plainZ(advWeights)[p] as number));
  assertClose(est.values, want, 1e-12, 'values');
});

test('reference mode: drops are cumulative (prefix sums of the additive weights), whole walk', async () => {
  const rec = new Recorder(additive);
  const est = await estimateContributions(rec.scorerFor, options({ mode: 'reference', permutations: 1 }));
  const order = rec.orders[0] as number[];
  let cleanSum = 0;
  let advSum = 0;
  order.forEach((p) => {
    cleanSum += cleanWeights[p] as number;
    advSum += advWeights[p] as number;
    assert.equal(est.clean[p], 1 - (1 - cleanSum), `clean drop of player ${p}`);
    assert.equal(est.adversarial[p], 0.75 - (0.75 - advSum), `adversarial drop of player ${p}`);
  });
  assert.equal(est.prefixEvaluations, 225);
});

test('reference mode walks all 225 prefixes even when accuracy collapses early, never past 224', async () => {
  const rec = new Recorder(collapsing(3, 5));
  const est = await estimateContributions(rec.scorerFor, options({ mode: 'reference', permutations: 2 }));
  assert.equal(est.prefixEvaluations, 2 * 225);
  assert.deepEqual(est.truncatedAt, [PLAYER_COUNT, PLAYER_COUNT]);
  assert.equal(rec.maxPrefix(0), PLAYER_COUNT);
  assert.equal(rec.maxPrefix(1), PLAYER_COUNT);
  // 225 = 28 chunks of 8 + 1: the last request is clipped to one prefix.
  assert.deepEqual(rec.calls.at(-1), { permutation: 1, from: 224, count: 1 });
  // After the collapse every later player still carries the full cumulative drop.
  const order = rec.orders[0] as number[];
  const last = order[PLAYER_COUNT - 1] as number;
  assert.ok((est.clean[last] as number) >= 0.5);
});

test('z-scores per permutation and the mean over permutations match a plain recomputation (both modes)', async () => {
  for (const mode of ['reference', 'shapley'] as const) {
    const rec = new Recorder(tangled);
    const est = await estimateContributions(rec.scorerFor, options({ mode, permutations: 4, rng: new Rng(5) }));
    const values = new Array<number>(PLAYER_COUNT).fill(0);
    const clean = new Array<number>(PLAYER_COUNT).fill(0);
    const adv = new Array<number>(PLAYER_COUNT).fill(0);
    for (const order of rec.orders) {
      const drops = plainDrops(tangled, order, mode);
      const zc = plainZ(drops.clean);
      const za = plainZ(drops.adv);
      for (let p = 0; p < PLAYER_COUNT; p++) {
        values[p] = (values[p] as number) + ((zc[p] as number) + (za[p] as number)) / 4;
        clean[p] = (clean[p] as number) + (drops.clean[p] as number) / 4;
        adv[p] = (adv[p] as number) + (drops.adv[p] as number) / 4;
      }
    }
    assertClose(est.values, values, 1e-9, `${mode} values`);
    assertClose(est.clean, clean, 1e-12, `${mode} clean`);
    assertClose(est.adversarial, adv, 1e-12, `${mode} adversarial`);
    assert.ok(
      est.values.some((v) => Math.abs(v) > 0.5),
      'values are not trivially zero',
    );
  }
});

test('shapley marginals are efficient: per permutation they sum to acc(0) - acc(224) of the interaction game', async () => {
  // Players 3 and 4 only matter together: removing both costs 0.25; their marginals add up to 0.25 in every
  // permutation, whichever goes first, and every other player gets 0.
  const pair: Game = (removed) => {
    const both = removed.has(3) && removed.has(4);
    return { clean: both ? 0.625 : 0.875, adversarial: both ? 0.25 : 0.375 };
  };
  const rec = new Recorder(pair);
  const est = await estimateContributions(rec.scorerFor, options({ permutations: 40, rng: new Rng(2) }));
  assert.ok(Math.abs((est.clean[3] as number) + (est.clean[4] as number) - 0.25) < 1e-15);
  assert.ok(Math.abs((est.adversarial[3] as number) + (est.adversarial[4] as number) - 0.125) < 1e-15);
  const fourFirst = rec.orders.filter((o) => o.indexOf(4) < o.indexOf(3)).length;
  assert.ok(fourFirst > 5 && fourFirst < 35, 'both orders of the pair occur');
  assert.equal(est.clean[3], (0.25 * fourFirst) / 40, 'player 3 gets the marginal when 4 went before it');
  for (let p = 0; p < PLAYER_COUNT; p++) if (p !== 3 && p !== 4) assert.equal(est.clean[p], 0);
});

test('shapley truncation: later players get 0 per series; no prefixes requested after both series truncate', async () => {
  const cleanAt = 40;
  const advAt = 70;
  const rec = new Recorder(collapsing(cleanAt, advAt));
  const est = await estimateContributions(rec.scorerFor, options({ permutations: 2, chunk: 1, rng: new Rng(9) }));
  assert.deepEqual(est.truncatedAt, [advAt, advAt]);
  assert.equal(est.prefixEvaluations, 2 * (advAt + 1));
  assert.equal(rec.maxPrefix(0), advAt);
  assert.equal(rec.maxPrefix(1), advAt);

  const single = new Recorder(collapsing(cleanAt, advAt));
  const one = await estimateContributions(single.scorerFor, options({ permutations: 1, chunk: 1, rng: new Rng(9) }));
  const order = single.orders[0] as number[];
  order.forEach((p, i) => {
    const t = i + 1;
    const cleanWant = t < cleanAt ? (cleanWeights[p] as number) / 4 : t === cleanAt ? one.clean[p] : 0;
    assert.equal(one.clean[p], cleanWant, `clean drop at position ${t}`);
    const advWant = t < advAt ? (advWeights[p] as number) / 4 : t === advAt ? one.adversarial[p] : 0;
    assert.equal(one.adversarial[p], advWant, `adversarial drop at position ${t}`);
  });
  // The player whose removal crossed the threshold keeps its (large) marginal.
  assert.ok((one.clean[order[cleanAt - 1] as number] as number) > 0.5);
  assert.ok((one.adversarial[order[advAt - 1] as number] as number) > 0.3);

  // With chunks of 8 the walk may overshoot the truncation point, by less than one chunk.
  const chunked = new Recorder(collapsing(cleanAt, advAt));
  await estimateContributions(chunked.scorerFor, options({ permutations: 1, chunk: 8, rng: new Rng(9) }));
  assert.ok(chunked.maxPrefix(0) >= advAt && chunked.maxPrefix(0) < advAt + 8);
});

test('shapley truncation is strict: accuracy exactly at half the full accuracy does not truncate', async () => {
  // Clean sits exactly at half from 10 players on and recovers by 0.125 at 20; adversarial collapses at 5.
  const half: Game = (removed) => ({
    clean: removed.size >= 20 ? 0.5 : removed.size >= 10 ? 0.375 : 0.75,
    adversarial: removed.size >= 5 ? 0.125 : 0.5,
  });
  const rec = new Recorder(half);
  const est = await estimateContributions(rec.scorerFor, options({ permutations: 1 }));
  assert.deepEqual(est.truncatedAt, [PLAYER_COUNT]);
  assert.equal(est.prefixEvaluations, 225);
  const order = rec.orders[0] as number[];
  assert.equal(est.clean[order[9] as number], 0.375);
  assert.equal(est.clean[order[19] as number], -0.125, 'the walk went on past the half-accuracy point');
});

test('a series with full accuracy 0 is truncated from the start (all zero drops)', async () => {
  const deadClean: Game = (removed) => ({ clean: 0, adversarial: 0.5 - sumOver(advWeights, removed) / 4 });
  const est = await estimateContributions(new Recorder(deadClean).scorerFor, options({ permutations: 1 }));
  assert.ok(est.clean.every((v) => v === 0));
  assert.deepEqual(
    est.adversarial,
    Float64Array.from(advWeights, (w) => w / 4),
  );
  assert.deepEqual(est.truncatedAt, [PLAYER_COUNT]);

  const dead = new Recorder(() => ({ clean: 0, adversarial: 0 }));
  const none = await estimateContributions(dead.scorerFor, options({ permutations: 2, chunk: 4 }));
  assert.deepEqual(none.truncatedAt, [0, 0]);
  assert.equal(none.prefixEvaluations, 8, 'only the first chunk of each permutation is measured');
  assert.ok(none.values.every((v) => v === 0));
});

test('chunk size changes the work, not the result', async () => {
  const results: ContributionEstimate[] = [];
  for (const chunk of [1, 3, 8, 225, 1000]) {
    const est = await estimateContributions(
      new Recorder(collapsing(50, 90)).scorerFor,
      options({ permutations: 3, chunk, rng: new Rng(21) }),
    );
    results.push(est);
  }
  for (const est of results.slice(1)) {
    assert.deepEqual(est.values, (results[0] as ContributionEstimate).values);
    assert.deepEqual(est.clean, (results[0] as ContributionEstimate).clean);
    assert.deepEqual(est.truncatedAt, [90, 90, 90]);
  }
  assert.equal((results[0] as ContributionEstimate).prefixEvaluations, 3 * 91);
  assert.equal((results[3] as ContributionEstimate).prefixEvaluations, 3 * 225);
});

test('concurrent walks (as on engine threads) give exactly the result of one walk at a time', async () => {
  const run = async (concurrency: number) => {
    const rec = new Recorder(tangled);
    let live = 0;
    let most = 0;
    // Scorers that answer after a delay depending on the permutation, so walks interleave and finish out of order.
    const slow = async (permutation: number): Promise<PermutationScorer> => {
      const inner = await rec.scorerFor(permutation);
      live++;
      most = Math.max(most, live);
      return {
        prefixes: async (order, from, count) => {
          await new Promise((resolve) => setTimeout(resolve, (permutation * 7) % 3));
          return inner.prefixes(order, from, count);
        },
        dispose: () => {
          live--;
          inner.dispose?.();
        },
      };
    };
    const est = await estimateContributions(
      slow,
      options({ permutations: 5, chunk: 45, concurrency, rng: new Rng(8) }),
    );
    return { est, most, rec };
  };
  const one = await run(1);
  const three = await run(3);
  assert.equal(one.most, 1);
  assert.equal(three.most, 3, 'three walks were in flight at once');
  assert.deepEqual(three.est, one.est);
  assert.deepEqual(three.rec.orders, one.rec.orders);
  assert.equal(three.rec.disposed, 5);
});

test('permutations are valid, distinct, and deterministic given the rng state', async () => {
  const run = async (rng: Rng): Promise<{ rec: Recorder; est: ContributionEstimate }> => {
    const rec = new Recorder(tangled);
    const est = await estimateContributions(rec.scorerFor, options({ permutations: 3, rng }));
    return { rec, est };
  };
  const a = await run(new Rng(4));
  const b = await run(new Rng(4));
  const c = await run(new Rng(5));
  assert.deepEqual(a.rec.orders, b.rec.orders);
  assert.deepEqual(a.est.values, b.est.values);
  assert.notDeepEqual(a.rec.orders[0], c.rec.orders[0]);
  assert.notDeepEqual(a.est.values, c.est.values);
  const identity = Array.from({ length: PLAYER_COUNT }, (_, i) => i);
  for (const order of a.rec.orders)
    assert.deepEqual(
      [...order].sort((x, y) => x - y),
      identity,
    );
  assert.notDeepEqual(a.rec.orders[0], a.rec.orders[1]);
  // The draw depends on the generator's state, not just its seed.
  const advanced = new Rng(4);
  advanced.nextU32();
  assert.notDeepEqual((await run(advanced)).rec.orders[0], a.rec.orders[0]);
  const state = [1, 2, 3, 4] as const;
  assert.deepEqual((await run(Rng.fromState(state))).rec.orders, (await run(Rng.fromState(state))).rec.orders);
});

test('progress is reported in prefixes of the untruncated walks and ends at the total', async () => {
  const seen: [number, number][] = [];
  await estimateContributions(new Recorder(collapsing(20, 30)).scorerFor, {
    ...options({ permutations: 2, chunk: 8 }),
    onProgress: (done, total) => seen.push([done, total]),
  });
  assert.ok(seen.every(([, total]) => total === 450));
  assert.ok(seen.every(([done], i) => i === 0 || done > (seen[i - 1] as [number, number])[0]));
  assert.deepEqual(seen.at(-1), [450, 450]);
  assert.ok(
    seen.some(([done]) => done === 225),
    'the first permutation ends at 225',
  );
});

test('an abort signal stops the walk between scorer calls with a cancellation error', async () => {
  const controller = new AbortController();
  const rec = new Recorder(additive);
  const running = estimateContributions(rec.scorerFor, {
    ...options({ permutations: 3 }),
    signal: controller.signal,
    onProgress: (done) => {
      if (done >= 16) controller.abort();
    },
  });
  await assert.rejects(running, (error: Error) => error.name === 'AbortError' && /cancel/.test(error.message));
  assert.equal(rec.calls.length, 2, 'no scorer call after the abort');
  assert.equal(rec.disposed, 1, 'the scorer of the aborted walk is disposed');

  const pre = new Recorder(additive);
  const aborted = AbortSignal.abort();
  await assert.rejects(estimateContributions(pre.scorerFor, { ...options(), signal: aborted }), { name: 'AbortError' });
  assert.equal(pre.calls.length, 0);
});

test('options are validated with errors that name the option', async () => {
  const run = (over: Partial<EstimateOptions>): Promise<ContributionEstimate> =>
    estimateContributions(new Recorder(additive).scorerFor, options(over));
  for (const permutations of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(run({ permutations }), /permutations must be a positive integer/);
  }
  for (const chunk of [0, -2, 2.5]) await assert.rejects(run({ chunk }), /chunk .* positive integer/);
  await assert.rejects(run({ mode: 'banzhaf' as 'shapley' }), /mode must be 'reference' or 'shapley'/);
});

test('bad scorer output is rejected with the permutation and prefix named, and the scorer is disposed', async () => {
  let disposed = 0;
  const short = async (): Promise<PermutationScorer> => ({
    prefixes: async (_order, _from, count) =>
      Array.from({ length: count - 1 }, () => ({ clean: 0.5, adversarial: 0.5 })),
    dispose: () => disposed++,
  });
  await assert.rejects(estimateContributions(short, options()), /permutation 0 returned 7 results .* expected 8/);
  assert.equal(disposed, 1);
  const outOfRange: Game = (removed) => ({ clean: removed.size === 5 ? 1.5 : 0.9, adversarial: 0.5 });
  await assert.rejects(
    estimateContributions(new Recorder(outOfRange).scorerFor, options()),
    /clean accuracy \(permutation 0, prefix 5\) must be a fraction in \[0, 1\], got 1.5/,
  );
  const nan: Game = () => ({ clean: 0.9, adversarial: Number.NaN });
  await assert.rejects(estimateContributions(new Recorder(nan).scorerFor, options()), /adversarial accuracy/);
});
