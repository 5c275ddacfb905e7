/**
 * An engine thread (worker_threads): its own TF.js backend instance and its own replica of the network.
 * Answers the requests of parallel/protocol.ts one at a time; with its siblings it sums batch-norm statistics
 * and gradients over shared memory in rank order, so all replicas take the same update.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropyLoss } from '../attacks/losses.js';
import { lossAndGradient } from '../attacks/gradient.js';
import { initBackend } from '../backend.js';
import { setBatchStatisticsReducer } from '../kernels/index.js';
import { EvalNetwork } from '../nn/network.js';
import type { Module } from '../nn/module.js';
import { fgsmInParts } from '../search/fgsm-parts.js';
import { mixingWeights, type MixingWeights } from '../search/mixing.js';
import { emptyScoringStats, scoringContext, SupernetScorer, type ScoringStats } from '../search/scorer.js';
import { Supernet } from '../search/supernet.js';
import { correctCount, crossEntropy } from '../nn/losses.js';
import { Sgd, clipFromSquares, clipsOnHost, gradientClip } from '../optim/optimizer.js';
import { heapFloats, wasmBackend } from '../kernels/wasm-heap.js';
import type { Request, Response, Shard, SgdSpec, ThreadInit } from './protocol.js';
import { GradientExchange } from './gradient-exchange.js';
import { Reducer } from './reducer.js';
import { takeData, takeScalar } from '../read.js';

const init = workerData as ThreadInit;
if (!parentPort) throw new Error('parallel/thread.ts runs only as a worker thread');
const port = parentPort;

await initBackend(init.backend);
const statsReducer = new Reducer(init.reducer, init.rank);
/** Makes training-mode BN use the statistics of the whole batch (summed over the threads) during `run`. */
function withWholeBatchStatistics<T>(localImages: number, batchImages: number, run: () => T): T {
  if (init.size === 1) return run();
  setBatchStatisticsReducer({
    allReduce: (values) => statsReducer.allReduce(values),
    batchPerLocal: batchImages / localImages,
  });
  try {
    return run();
  } finally {
    setBatchStatisticsReducer(undefined);
  }
}

const net: Module & { forward: unknown } =
  init.model.kind === 'supernet'
    ? new Supernet(init.model.options)
    : new EvalNetwork(init.model.genotype, init.model.options);
const params = net.namedParameters();
let gradientExchange: GradientExchange | undefined;
let optimizer: { sgd: Sgd; spec: SgdSpec } | undefined;
/** Open contribution scorers by key (one per permutation this thread helps walk). */
const scorers = new Map<number, { scorer: SupernetScorer; work: ScoringStats }>();

function supernetOnly(): Supernet {
  if (!(net instanceof Supernet)) throw new Error('contribution estimation needs a supernet pool');
  return net;
}

/** Logits of the replica for `x`; the supernet needs mixing weights. */
function logitsOf(x: tf.Tensor4D, training: boolean, weights: MixingWeights | undefined): tf.Tensor2D {
  if (net instanceof Supernet) {
    if (!weights) throw new Error('a supernet step needs mixing weights');
    return net.forward(x, weights, { training });
  }
  return (net as EvalNetwork).forward(x, { training }).logits;
}

function inputs(shard: Shard): [tf.Tensor4D, tf.Tensor1D] {
  return [tf.tensor4d(shard.x, shard.shape), tf.tensor1d(shard.y, 'int32')];
}

function sgdFor(spec: SgdSpec): Sgd {
  if (!optimizer || optimizer.spec.momentum !== spec.momentum || optimizer.spec.weightDecay !== spec.weightDecay) {
    optimizer?.sgd.dispose();
    optimizer = { sgd: new Sgd(params, { momentum: spec.momentum, weightDecay: spec.weightDecay }), spec };
  }
  return optimizer.sgd;
}

/**
 * This part's gradients summed with every other thread's in rank order (the whole batch's gradient, as tensors),
 * and gradientClip's factor for them when `clip` is a norm. Disposes `grads` once copied.
 */
async function summedGradients(
  grads: tf.NamedTensorMap,
  clip: number | null,
): Promise<{ summed: Map<string, tf.Tensor>; factor: number }> {
  const exchange = gradientExchange;
  if (!exchange) throw new Error('the pool sends the gradient memory before any training step');
  const wasm = tf.getBackend() === 'wasm' ? wasmBackend(tf.backend()) : undefined;
  for (let p = 0; p < params.length; p++) {
    // A parameter the loss does not reach (none in these networks) contributes zeros.
    const g = grads[(params[p] as [string, tf.Variable])[1].name];
    const slot = exchange.slot(p);
    if (!g) slot.fill(0);
    else slot.set(wasm ? heapFloats(wasm, g) : ((await g.data()) as Float32Array));
  }
  tf.dispose(Object.values(grads));
  const squares = exchange.reduce();
  const summed = new Map(params.map(([name, v], p) => [name, tf.tensor(exchange.summed(p), v.shape)]));
  if (clip === null) return { summed, factor: 1 };
  // On a device gradientClip reduces there, with its roundings: the exchange's squares match the host's.
  const { factor } = clipsOnHost() ? clipFromSquares(squares, clip) : await gradientClip(summed, clip);
  return { summed, factor };
}

/** The values of named tensors, read asynchronously. */
async function readAll(pairs: Array<[string, tf.Tensor]>): Promise<Record<string, Float32Array>> {
  const values = await Promise.all(pairs.map(([, v]) => v.data()));
  return Object.fromEntries(pairs.map(([name], i) => [name, values[i] as Float32Array]));
}

async function handle(request: Request): Promise<Response> {
  switch (request.op) {
    case 'gradientMemory':
      gradientExchange = new GradientExchange(request.memory, init.rank);
      return { ok: true, done: true };
    case 'state':
      return {
        ok: true,
        state: await readAll(net.namedVariables()),
      };
    case 'setState':
      tf.tidy(() => {
        for (const [name, v] of net.namedVariables()) {
          const values = request.values[name];
          if (!values || values.length !== v.size) throw new Error(`setState: ${name} missing or of the wrong size`);
          v.assign(tf.tensor(values, v.shape));
        }
      });
      return { ok: true, done: true };
    case 'optimizerState':
      return {
        ok: true,
        state: await readAll(optimizer?.sgd.namedBuffers() ?? []),
      };
    case 'setOptimizerState': {
      const sgd = sgdFor(request.sgd);
      const values = new Map(
        Object.entries(request.values).map(([name, v]) => {
          const param = params.find(([n]) => n === name);
          if (!param) throw new Error(`setOptimizerState: ${name} is not a parameter`);
          return [name, tf.tensor(v, param[1].shape)];
        }),
      );
      try {
        sgd.loadBuffers(values);
      } finally {
        tf.dispose([...values.values()]);
      }
      return { ok: true, done: true };
    }
    case 'train': {
      const began = performance.now();
      statsReducer.takeBarrierTime();
      gradientExchange?.takeBarrierTime();
      const [x, y] = inputs(request.shard);
      const share = request.shard.y.length / request.batch;
      let hits: tf.Scalar | undefined;
      // Forward and backward both reduce BN sums; the backward pass runs inside variableGrads too.
      const { value, grads } = withWholeBatchStatistics(request.shard.y.length, request.batch, () =>
        tf.variableGrads(
          () => {
            const logits = logitsOf(x, true, request.weights);
            hits = tf.keep(correctCount(logits, y));
            return tf.mul(crossEntropy(logits, y), share) as tf.Scalar;
          },
          params.map(([, v]) => v),
        ),
      );
      const correct = hits ? await takeScalar(hits) : 0;
      tf.dispose([x, y]);
      const { summed, factor } = await summedGradients(grads, request.sgd.clip);
      sgdFor(request.sgd).step(summed, request.lr, factor);
      const loss = (await value.data())[0] as number;
      tf.dispose([value, ...summed.values()]);
      const bn = statsReducer.takeBarrierTime();
      const gradient = gradientExchange?.takeBarrierTime() ?? { barriers: 0, waitMs: 0 };
      const time = {
        stepMs: performance.now() - began,
        barriers: bn.barriers + gradient.barriers,
        waitMs: bn.waitMs + gradient.waitMs,
      };
      return { ok: true, loss, correct, time };
    }
    case 'logits': {
      const [x, y] = inputs(request.shard);
      const logits = tf.tidy(() => logitsOf(x, false, request.weights));
      tf.dispose([x, y]);
      return { ok: true as const, classes: logits.shape[1], logits: (await takeData(logits)) as Float32Array };
    }
    case 'inputGradient': {
      const [x, y] = inputs(request.shard);
      const { logits, loss, grad } = lossAndGradient(
        (input) => logitsOf(input, false, request.weights),
        crossEntropyLoss,
        x,
        y,
      );
      tf.dispose([x, y, logits]);
      const [total, values] = await Promise.all([takeScalar(tf.sum(loss)), takeData(grad)]);
      loss.dispose();
      return { ok: true as const, loss: total / request.batch, grad: values as Float32Array };
    }
    case 'fgsm': {
      const supernet = supernetOnly();
      const [x, y] = inputs(request.shard);
      const weights = mixingWeights(request.alphas);
      const ctx = scoringContext(request.statistics, 1);
      const adversarial = await fgsmInParts(
        (input) => supernet.forward(input, weights, ctx),
        x,
        y,
        request.epsilon,
        request.part,
      );
      tf.dispose([x, y]);
      return { ok: true as const, adversarial: (await takeData(adversarial)) as Float32Array };
    }
    case 'scorerOpen': {
      const supernet = supernetOnly();
      if (scorers.has(request.key)) throw new Error(`scorer ${request.key} is already open`);
      const [x, y] = inputs(request.shard);
      const adversarial = tf.tensor4d(request.adversarial, request.shard.shape);
      const work = emptyScoringStats();
      const scorer = new SupernetScorer(
        supernet,
        request.alphas,
        { x, adversarial, y },
        { maxGroups: request.maxGroups, statistics: request.statistics, stats: work },
      );
      scorers.set(request.key, { scorer, work });
      // The scorer keeps its own copies (images and labels concatenated).
      tf.dispose([x, y, adversarial]);
      return { ok: true, done: true };
    }
    case 'scorerPrefixes': {
      const open = scorers.get(request.key);
      if (!open) throw new Error(`no open scorer ${request.key}`);
      const pairs = await open.scorer.prefixes(request.order, request.from, request.count);
      return { ok: true, pairs, work: { ...open.work } };
    }
    case 'scorerClose':
      scorers.get(request.key)?.scorer.dispose();
      scorers.delete(request.key);
      return { ok: true, done: true };
  }
}

// Requests are answered one at a time, in order (a scorer's passes yield to the event loop between them).
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: Request) => {
  queue = queue.then(() => answer(request));
});

async function answer(request: Request): Promise<void> {
  let response: Response;
  try {
    response = await handle(request);
  } catch (error) {
    // Siblings waiting at a barrier of this step would wait forever: release them with an error.
    statsReducer.abort();
    gradientExchange?.abort();
    response = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(response);
}
port.postMessage({
  ok: true,
  parameters: params.reduce((s, [, v]) => s + v.size, 0),
  names: params.map(([n]) => n),
  sizes: params.map(([, v]) => v.size),
});
