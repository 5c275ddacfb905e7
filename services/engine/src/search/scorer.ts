import * as tf from '@tensorflow/tfjs-core';
import { takeData } from '../read.js';
import type { AccuracyPair, PermutationScorer } from './contribution.js';
import { mixingWeights, selectGroups } from './mixing.js';
import { PLAYER_COUNT, PLAYERS_PER_CELL, type EdgeMatrices } from './space.js';
import type { ForwardContext } from '../nn/module.js';
import type { Supernet } from './supernet.js';

/** One permutation's data: a valid batch and its FGSM examples (made once against the full supernet). */
export interface ScoringBatch {
  x: tf.Tensor4D;
  adversarial: tf.Tensor4D;
  y: tf.Tensor1D;
}

/** Work counters of a scorer, for the benchmark's "evaluations per estimate against the naive count". */
export interface ScoringStats {
  /** Prefixes (masks) measured. */
  prefixes: number;
  /** Cells run, times the groups (masks) they ran for. */
  cellEvaluations: number;
  /** Candidate-operation forwards, times the groups they ran for. */
  operations: number;
}

/** How a scorer evaluates masks. */
export interface ScorerOptions {
  /**
   * Masks evaluated together in one batched pass (each a group of 2N images). Default 4. Memory grows
   * with it: cell outputs of 2N * groups images are alive at once.
   */
  maxGroups?: number;
  /** Evaluate every prefix from the stem with every operation (the reference the optimisations must equal). */
  naive?: boolean;
  /** Receives the work counters as they grow. */
  stats?: ScoringStats;
  /**
   * BN statistics of the masked supernets: 'batch' (default) normalises each clean and each adversarial
   * batch of each mask with its own statistics, as the supernet sees batches in training; 'running' uses
   * the running averages (inference proper), which lag far behind the weights early in a search.
   */
  statistics?: BnStatistics;
}

/** Where the supernet's BNs take their statistics when masks are measured. */
export type BnStatistics = 'batch' | 'running';

/** The forward context of a measurement over `groups` masks of 2 batches each. */
export function scoringContext(statistics: BnStatistics, batches: number): ForwardContext {
  return statistics === 'batch' ? { training: false, batchStatisticGroups: batches } : { training: false };
}

/** Empty work counters. */
export function emptyScoringStats(): ScoringStats {
  return { prefixes: 0, cellEvaluations: 0, operations: 0 };
}

/** Mask with the first `t` players of `order` removed (1 = present). */
export function prefixMask(order: readonly number[], t: number): Uint8Array {
  const mask = new Uint8Array(PLAYER_COUNT).fill(1);
  for (let i = 0; i < t; i++) mask[order[i] as number] = 0;
  return mask;
}

/** Number of normal-cell players among the first `t` of `order`: with a prefix, it fixes which normal players are gone. */
function normalRemoved(order: readonly number[], t: number): number {
  let n = 0;
  for (let i = 0; i < t; i++) if ((order[i] as number) < PLAYERS_PER_CELL) n += 1;
  return n;
}

/**
 * Measures the supernet's clean and adversarial accuracy with players removed (lrnas-method.md
 * section 4), in inference mode so that every image's logits depend on that image and its mask only.
 * Faster than one full forward per prefix, with the same result:
 * - the stem runs once per permutation (no player touches it);
 * - the cells before the first reduction cell depend only on which normal players are gone, so they
 *   run once per distinct normal mask, and the states entering the first reduction cell of the
 *   last prefix are kept for the next call (a run of reduction players reuses them);
 * - several masks go through the network in one batched pass, one group of 2N images per mask;
 * - an operation whose weight is 0 in every mask of a pass (a player removed earlier in the
 *   permutation) is not run: its weighted output is exactly 0.
 */
export class SupernetScorer implements PermutationScorer {
  readonly #net: Supernet;
  readonly #alphas: EdgeMatrices;
  readonly #labels: tf.Tensor1D;
  readonly #images: tf.Tensor4D;
  readonly #half: number;
  readonly #maxGroups: number;
  readonly #naive: boolean;
  readonly #stats: ScoringStats;
  readonly #statistics: BnStatistics;
  #stem: tf.Tensor4D | undefined;
  /** States entering the first reduction cell for a count of removed normal players. */
  #kept: { normalRemoved: number; s0: tf.Tensor4D; s1: tf.Tensor4D } | undefined;

  constructor(net: Supernet, alphas: EdgeMatrices, batch: ScoringBatch, options: ScorerOptions = {}) {
    const maxGroups = options.maxGroups ?? 4;
    if (!Number.isInteger(maxGroups) || maxGroups < 1) {
      throw new RangeError(`maxGroups must be a positive integer, got ${maxGroups}`);
    }
    if (!tf.util.arraysEqual(batch.x.shape, batch.adversarial.shape)) {
      throw new RangeError(
        `adversarial examples [${batch.adversarial.shape.join(', ')}] do not match the batch [${batch.x.shape.join(', ')}]`,
      );
    }
    this.#net = net;
    this.#alphas = alphas;
    this.#maxGroups = maxGroups;
    this.#naive = options.naive ?? false;
    this.#stats = options.stats ?? emptyScoringStats();
    this.#statistics = options.statistics ?? 'batch';
    this.#half = batch.x.shape[0];
    this.#images = tf.concat([batch.x, batch.adversarial], 0);
    this.#labels = tf.concat([batch.y, batch.y], 0);
  }

  async prefixes(order: readonly number[], from: number, count: number): Promise<AccuracyPair[]> {
    const out: AccuracyPair[] = [];
    for (let start = from; start < from + count; start += this.#maxGroups) {
      const lengths = Array.from({ length: Math.min(this.#maxGroups, from + count - start) }, (_, i) => start + i);
      out.push(...(await (this.#naive ? this.#naivePass(order, lengths) : this.#pass(order, lengths))));
      this.#stats.prefixes += lengths.length;
      // Let timers and I/O (heartbeats, a cancel message) run between passes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return out;
  }

  /** One full forward per prefix, every operation run. */
  async #naivePass(order: readonly number[], lengths: number[]): Promise<AccuracyPair[]> {
    const cells = this.#net.cells.items.length;
    const out: AccuracyPair[] = [];
    for (const t of lengths) {
      const weights = mixingWeights(this.#alphas, [prefixMask(order, t)]);
      const stats = { operations: 0 };
      const ctx = scoringContext(this.#statistics, 2);
      const logits = this.#net.forward(this.#images, weights, ctx, { skipInactive: false, stats });
      this.#stats.operations += stats.operations;
      this.#stats.cellEvaluations += cells;
      out.push((await this.#accuracies(logits, 1))[0] as AccuracyPair);
    }
    return out;
  }

  /** The prefixes `lengths` in one batched pass. */
  #pass(order: readonly number[], lengths: number[]): Promise<AccuracyPair[]> {
    const net = this.#net;
    const cells = net.cells.items.length;
    const split = Math.max(0, net.firstReduction);
    const masks = lengths.map((t) => prefixMask(order, t));
    const weights = mixingWeights(this.#alphas, masks);
    const keys = lengths.map((t) => normalRemoved(order, t));
    const unique = [...new Set(keys)];
    const stats = { operations: 0 };
    const ctx = (groups: number): ForwardContext => scoringContext(this.#statistics, 2 * groups);
    this.#stem ??= net.stemForward(this.#images, ctx(1));
    const stem = this.#stem;

    // States entering the first reduction cell, one group per distinct normal mask.
    const kept = this.#kept;
    let early: [tf.Tensor4D, tf.Tensor4D];
    let earlyKeys: number[];
    if (kept && unique.length === 1 && unique[0] === kept.normalRemoved) {
      early = [kept.s0, kept.s1];
      earlyKeys = [kept.normalRemoved];
    } else {
      earlyKeys = unique;
      const representatives = unique.map((key) => keys.indexOf(key));
      const earlyWeights = selectGroups(weights, representatives);
      early = tf.tidy(() => {
        const input = earlyKeys.length === 1 ? stem : tf.tile(stem, [earlyKeys.length, 1, 1, 1]);
        const [a, b] = net.runCells(input, input, 0, split, earlyWeights, ctx(earlyKeys.length), { stats });
        // With no cell before the first reduction the states are the stem itself, which stays with this scorer.
        return [a === stem ? tf.clone(a) : a, b === stem ? tf.clone(b) : b];
      });
      this.#stats.cellEvaluations += split * earlyKeys.length;
    }

    const logits = tf.tidy(() => {
      const expand = (state: tf.Tensor4D): tf.Tensor4D => {
        if (earlyKeys.length === lengths.length && earlyKeys.every((key, i) => key === keys[i])) return state;
        const rows = this.#images.shape[0];
        const index = keys.flatMap((key) => {
          const group = earlyKeys.indexOf(key);
          return Array.from({ length: rows }, (_, r) => group * rows + r);
        });
        return tf.gather(state, tf.tensor1d(index, 'int32'), 0);
      };
      const [s0, s1] = [expand(early[0]), expand(early[1])];
      const [, last] = net.runCells(s0, s1, split, cells, weights, ctx(lengths.length), { stats });
      return net.head(last);
    });
    this.#stats.cellEvaluations += (cells - split) * lengths.length;
    this.#stats.operations += stats.operations;

    // Keep the early states of the last prefix for the next call.
    const lastKey = keys[keys.length - 1] as number;
    if (early !== undefined && (!kept || early[0] !== kept.s0)) {
      const group = earlyKeys.indexOf(lastKey);
      const rows = this.#images.shape[0];
      const slice = (state: tf.Tensor4D): tf.Tensor4D =>
        earlyKeys.length === 1 ? tf.clone(state) : tf.slice(state, [group * rows, 0, 0, 0], [rows, -1, -1, -1]);
      const next = { normalRemoved: lastKey, s0: slice(early[0]), s1: slice(early[1]) };
      this.#disposeKept();
      tf.dispose(early);
      this.#kept = next;
    }
    return this.#accuracies(logits, lengths.length);
  }

  /** Per group: the fraction of clean and of adversarial images classified correctly. Disposes `logits`. */
  async #accuracies(logits: tf.Tensor2D, groups: number): Promise<AccuracyPair[]> {
    const hits = tf.tidy(() => tf.cast(tf.equal(tf.argMax(logits, 1), tf.tile(this.#labels, [groups])), 'int32'));
    logits.dispose();
    const values = await takeData(hits);
    const n = this.#half;
    return Array.from({ length: groups }, (_, g) => {
      let clean = 0;
      let adversarial = 0;
      for (let i = 0; i < n; i++) {
        clean += values[g * 2 * n + i] as number;
        adversarial += values[g * 2 * n + n + i] as number;
      }
      return { clean: clean / n, adversarial: adversarial / n };
    });
  }

  #disposeKept(): void {
    if (this.#kept) tf.dispose([this.#kept.s0, this.#kept.s1]);
    this.#kept = undefined;
  }

  dispose(): void {
    this.#disposeKept();
    tf.dispose([this.#images, this.#labels]);
    this.#stem?.dispose();
    this.#stem = undefined;
  }
}
