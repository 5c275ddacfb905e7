/**
 * Data parallelism over engine threads: N worker_threads, each with its own TF.js backend and replica of the
 * network. A training step splits the batch into N contiguous parts; batch norm uses the whole batch's
 * statistics (summed over the threads at every BN, forward and backward), gradients are summed in rank order
 * and every replica takes the same SGD update, so the result differs from one thread's only by float summation
 * order. Inference and input gradients split the batch and need no communication.
 */
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ContractError } from '@lrnas/schema';
import type { AccuracyPair, PermutationScorer } from '../search/contribution.js';
import type { MixingWeights } from '../search/mixing.js';
import type { BnStatistics, ScoringStats } from '../search/scorer.js';
import type { EdgeMatrices } from '../search/space.js';
import type { ModelSpec, Request, Response, SgdSpec, Shard, StepTime, ThreadInit } from './protocol.js';
import { createGradientMemory } from './gradient-exchange.js';
import { createReducerMemory } from './reducer.js';
import { besideModule, startThread } from './start-thread.js';

/** Environment variable of the engine's thread count (a --threads flag overrides it). */
export const THREADS_ENV = 'LRNAS_THREADS';

/** Largest per-channel vector a BN reduces (forward and backward pack two per channel). */
const STATS_CAPACITY = 2 * 8192;

/**
 * The engine's thread count: `flag` if given, else $LRNAS_THREADS, else the machine's cores. Throws a
 * ContractError naming the source of a value that is not a positive integer.
 */
export function resolveThreadCount(flag?: string | number, env: NodeJS.ProcessEnv = process.env): number {
  const [source, raw] = flag !== undefined ? ['--threads', String(flag)] : ([THREADS_ENV, env[THREADS_ENV]] as const);
  if (raw === undefined || raw === '') return os.availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ContractError(source, `must be a positive integer, got ${raw}`);
  return n;
}

/** Contiguous, near-equal parts [start, end) of a batch of `batch` images over `parts` threads (first ones larger). */
export function splitBatch(batch: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(batch / parts) + (p < batch % parts ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

/** A batch in host memory: NHWC images and int32 labels. */
export interface HostBatch {
  x: Float32Array;
  shape: [number, number, number, number];
  y: Int32Array;
}

/** How to start a pool. */
export interface PoolOptions {
  threads: number;
  model: ModelSpec;
  /** Backend of every thread (default: the engine's choice, or $LRNAS_BACKEND). */
  backend?: string;
}

/** Starts one engine thread (thread.ts). */
function startEngineThread(init: ThreadInit): Worker {
  return startThread(besideModule('./thread.ts', import.meta.url), init);
}

/** How a pool's scorers measure masks (search/scorer.ts's options). */
export interface PoolScorerOptions {
  /** Masks per batched pass in each thread. */
  maxGroups: number;
  statistics: BnStatistics;
  /** Receives the work counters of every thread's scorer, summed. */
  stats?: ScoringStats;
}

type Thread = { worker: Worker; pending: Array<(r: Response) => void>; exited: Error | undefined };

/** Data-parallel engine threads over one network (see the module comment). */
export class EnginePool {
  readonly #threads: Thread[];
  /** Trainable parameters of the network. */
  readonly parameters: number;

  private constructor(threads: Thread[], parameters: number) {
    this.#threads = threads;
    this.parameters = parameters;
  }

  get size(): number {
    return this.#threads.length;
  }

  /** Starts `threads` engine threads and builds the network in each (same seed: equal replicas). */
  static async start(options: PoolOptions): Promise<EnginePool> {
    const size = options.threads;
    if (!Number.isInteger(size) || size < 1)
      throw new ContractError('threads', `must be a positive integer, got ${size}`);
    const reducer = createReducerMemory(size, STATS_CAPACITY);
    const threads: Thread[] = [];
    const ready: Array<Promise<Response>> = [];
    for (let rank = 0; rank < size; rank++) {
      const init: ThreadInit = { rank, size, backend: options.backend, model: options.model, reducer };
      const worker = startEngineThread(init);
      const thread: Thread = { worker, pending: [], exited: undefined };
      worker.on('message', (response: Response) => thread.pending.shift()?.(response));
      const fail = (error: Error): void => {
        thread.exited = error;
        for (const resolve of thread.pending.splice(0)) resolve({ ok: false, error: error.message });
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`engine thread ${rank} exited with code ${code}`)));
      threads.push(thread);
      ready.push(new Promise((resolve) => thread.pending.push(resolve)));
    }
    const pool = new EnginePool(threads, 0);
    try {
      const hello = await Promise.all(ready);
      const counts = hello.map((r) => EnginePool.#unwrap(r, 'start') as { parameters: number; sizes: number[] });
      const parameters = counts[0]?.parameters ?? 0;
      const started = new EnginePool(threads, parameters);
      const memory = createGradientMemory(size, counts[0]?.sizes ?? []);
      await started.#all(() => ({ op: 'gradientMemory', memory }));
      return started;
    } catch (error) {
      await pool.close();
      throw error;
    }
  }

  static #unwrap(response: Response, what: string): Response {
    if (!response.ok) throw new Error(`engine thread failed in ${what}: ${response.error}`);
    return response;
  }

  #send(rank: number, request: Request, transfer: ArrayBuffer[] = []): Promise<Response> {
    const thread = this.#threads[rank] as Thread;
    if (thread.exited) return Promise.reject(thread.exited);
    return new Promise((resolve) => {
      thread.pending.push(resolve);
      thread.worker.postMessage(request, transfer);
    });
  }

  /** Sends each thread its request; resolves with the answers in rank order, or rejects with the first error. */
  async #all(requestFor: (rank: number) => Request | undefined): Promise<Response[]> {
    const answers = await Promise.all(
      this.#threads.map((_, rank) => {
        const request = requestFor(rank);
        return request ? this.#send(rank, request) : Promise.resolve({ ok: true, done: true } as Response);
      }),
    );
    const what = requestFor(0)?.op ?? 'request';
    return answers.map((r) => EnginePool.#unwrap(r, what));
  }

  /** The parts of a batch for each thread (threads beyond the batch size get none). */
  #shards(batch: HostBatch, parts = this.size): Array<Shard | undefined> {
    const [n, h, w, c] = batch.shape;
    if (batch.x.length !== n * h * w * c) {
      throw new ContractError(
        'x',
        `has ${batch.x.length} values, expected ${n * h * w * c} for [${batch.shape.join(', ')}]`,
      );
    }
    if (batch.y.length !== n) throw new ContractError('y', `has ${batch.y.length} labels for a batch of ${n}`);
    const pixels = h * w * c;
    return splitBatch(n, parts).map(([start, end]) =>
      end > start
        ? {
            x: batch.x.slice(start * pixels, end * pixels),
            shape: [end - start, h, w, c],
            y: batch.y.slice(start, end),
          }
        : undefined,
    );
  }

  /**
   * One SGD step on `batch` over every thread (see the module comment); returns the batch's mean
   * cross-entropy before the update, how many images it classified correctly and, per thread, where the step's
   * time went. Every thread needs an image.
   */
  async trainStep(
    batch: HostBatch,
    sgd: SgdSpec,
    lr: number,
    weights?: MixingWeights,
  ): Promise<{ loss: number; correct: number; threads: StepTime[] }> {
    const n = batch.shape[0];
    if (n < this.size) throw new ContractError('batch', `of ${n} images cannot train on ${this.size} threads`);
    const shards = this.#shards(batch);
    const answers = await this.#all((rank) => ({
      op: 'train',
      shard: shards[rank] as Shard,
      batch: n,
      sgd,
      lr,
      ...(weights ? { weights } : {}),
    }));
    // Each thread reports its share of the mean; added in rank order.
    const parts = answers as Array<{ loss: number; correct: number; time: StepTime }>;
    return {
      loss: parts.reduce((sum, r) => sum + r.loss, 0),
      correct: parts.reduce((sum, r) => sum + r.correct, 0),
      threads: parts.map((r) => r.time),
    };
  }

  /** Logits [N, classes] (row-major) in inference mode, the batch split over the threads. */
  async logits(batch: HostBatch, weights?: MixingWeights): Promise<{ logits: Float32Array; classes: number }> {
    const shards = this.#shards(batch);
    const answers = await this.#all((rank) =>
      shards[rank] ? { op: 'logits', shard: shards[rank] as Shard, ...(weights ? { weights } : {}) } : undefined,
    );
    const parts = answers.filter((r): r is Extract<Response, { logits: Float32Array }> => 'logits' in r);
    const classes = parts[0]?.classes ?? 0;
    const logits = new Float32Array(batch.shape[0] * classes);
    let offset = 0;
    for (const p of parts) {
      logits.set(p.logits, offset);
      offset += p.logits.length;
    }
    return { logits, classes };
  }

  /** Mean cross-entropy and its gradient with respect to the input (inference mode), the batch split over the threads. */
  async inputGradient(batch: HostBatch, weights?: MixingWeights): Promise<{ loss: number; grad: Float32Array }> {
    const shards = this.#shards(batch);
    const n = batch.shape[0];
    const answers = await this.#all((rank) =>
      shards[rank]
        ? { op: 'inputGradient', shard: shards[rank] as Shard, batch: n, ...(weights ? { weights } : {}) }
        : undefined,
    );
    const grad = new Float32Array(batch.x.length);
    let offset = 0;
    let loss = 0;
    for (const r of answers) {
      if (!('grad' in r)) continue;
      grad.set(r.grad, offset);
      offset += r.grad.length;
      loss += r.loss;
    }
    return { loss, grad };
  }

  /**
   * FGSM examples of `batch` against the full supernet of `alphas` (made on one thread: the batch statistics of
   * its BNs are those of each part of `part` images, null for the whole batch, as in the search).
   */
  async fgsm(
    alphas: EdgeMatrices,
    batch: HostBatch,
    epsilon: number,
    part: number | null,
    statistics: BnStatistics,
  ): Promise<Float32Array> {
    const shard = this.#shards(batch, 1)[0] as Shard;
    const r = EnginePool.#unwrap(await this.#send(0, { op: 'fgsm', shard, alphas, epsilon, part, statistics }), 'fgsm');
    return (r as { adversarial: Float32Array }).adversarial;
  }

  #scorerKeys = 0;

  /**
   * A scorer of one permutation's batch whose prefix requests are split over the threads: each thread measures a
   * contiguous share of every request's prefixes with its own scorer on its replica (each prefix is measured on
   * its own mask, so the accuracies are those of one thread; tested). Make requests of maxGroups x threads prefixes.
   */
  async scorer(
    alphas: EdgeMatrices,
    batch: HostBatch,
    adversarial: Float32Array,
    options: PoolScorerOptions,
  ): Promise<PermutationScorer> {
    if (adversarial.length !== batch.x.length) {
      throw new ContractError('adversarial', `has ${adversarial.length} values, expected ${batch.x.length}`);
    }
    const key = this.#scorerKeys++;
    const shard = this.#shards(batch, 1)[0] as Shard;
    const { stats, ...open } = options;
    await this.#all(() => ({ op: 'scorerOpen', key, alphas, shard, adversarial, ...open }));
    // Per thread, the counters already added to `stats`.
    const seen = Array.from({ length: this.size }, () => ({ prefixes: 0, cellEvaluations: 0, operations: 0 }));
    return {
      prefixes: async (order, from, count) => {
        const ranges = splitBatch(count, this.size);
        const answers = await this.#all((rank) => {
          const [start, end] = ranges[rank] as [number, number];
          return end > start
            ? { op: 'scorerPrefixes', key, order: [...order], from: from + start, count: end - start }
            : undefined;
        });
        answers.forEach((r, rank) => {
          if (!('work' in r) || !stats) return;
          const before = seen[rank] as ScoringStats;
          for (const k of ['prefixes', 'cellEvaluations', 'operations'] as const) stats[k] += r.work[k] - before[k];
          seen[rank] = { ...r.work };
        });
        return answers.flatMap((r) => ('pairs' in r ? r.pairs : ([] as AccuracyPair[])));
      },
      dispose: () => void this.#all(() => ({ op: 'scorerClose', key })).catch(() => undefined),
    };
  }

  /** Parameters and buffers by name (from thread 0: every replica holds the same values). */
  async state(): Promise<Record<string, Float32Array>> {
    const r = EnginePool.#unwrap(await this.#send(0, { op: 'state' }), 'state');
    return (r as { state: Record<string, Float32Array> }).state;
  }

  /** Replaces parameters and buffers in every replica. */
  async setState(values: Record<string, Float32Array>): Promise<void> {
    await this.#all(() => ({ op: 'setState', values }));
  }

  /** SGD momentum buffers by parameter name (thread 0's: every replica holds the same). */
  async optimizerState(): Promise<Record<string, Float32Array>> {
    const r = EnginePool.#unwrap(await this.#send(0, { op: 'optimizerState' }), 'optimizerState');
    return (r as { state: Record<string, Float32Array> }).state;
  }

  /** Replaces every replica's optimiser with `sgd` and these momentum buffers (a checkpoint's). */
  async setOptimizerState(sgd: SgdSpec, values: Record<string, Float32Array>): Promise<void> {
    await this.#all(() => ({ op: 'setOptimizerState', sgd, values }));
  }

  /** Stops every thread. */
  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }
}
