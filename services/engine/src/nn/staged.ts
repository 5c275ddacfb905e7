import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from './batch-norm.js';
import { Sequential, type ForwardContext, type Layer } from './module.js';

/*
 * Forward passes that stop at their batch norms, so that many independent layers (the operations of a supernet
 * cell's edges) normalise together: with engine threads every training-mode BN is a meeting of the threads, each
 * way, and under load a meeting costs a scheduler wake-up. Run side by side with runStaged, the k-th BNs of all the
 * passes are one group (BatchNorm2d.trainingGroup): a cell meets a few times instead of a hundred.
 */

/** A staged pass's request: normalise `x` with `bn` in training mode, then resume the pass with the result. */
export interface NormRequest {
  bn: BatchNorm2d;
  x: tf.Tensor4D;
}

/** A layer's forward pass as a generator that yields at each of its training-mode BNs. */
export type StagedForward = Generator<NormRequest, tf.Tensor4D, tf.Tensor4D>;

/** A layer with a staged forward pass of its own (besides Sequential and BatchNorm2d, which this module knows). */
export interface StagedLayer {
  staged(x: tf.Tensor4D, ctx: ForwardContext): StagedForward;
}

function hasStaged(layer: Layer): layer is Layer & StagedLayer {
  return typeof (layer as Partial<StagedLayer>).staged === 'function';
}

/**
 * `layer.forward(x, ctx)` as a staged pass: the same kernels in the same order, with the pass suspended at every
 * BN in training mode. Like forward, it leaves no intermediate behind (each layer's output is freed once
 * the next layer has read it) and does not free `x`.
 */
export function* stagedForward(layer: Layer, x: tf.Tensor4D, ctx: ForwardContext): StagedForward {
  if (!ctx.training) return layer.forward(x, ctx);
  if (layer instanceof BatchNorm2d) return yield { bn: layer, x };
  if (layer instanceof Sequential) return yield* stagedForwardFrom(layer, 0, x, ctx);
  if (hasStaged(layer)) return yield* layer.staged(x, ctx);
  return layer.forward(x, ctx);
}

/** stagedForward of a Sequential's layers `start`.. only (Sequential.forwardFrom as a staged pass). */
export function* stagedForwardFrom(
  layer: Sequential,
  start: number,
  x: tf.Tensor4D,
  ctx: ForwardContext,
): StagedForward {
  if (!ctx.training) return layer.forwardFrom(start, x, ctx);
  let h = x;
  for (const next of layer.layers.slice(start)) {
    const out = yield* stagedForward(next, h, ctx);
    if (h !== x && h !== out) h.dispose();
    h = out;
  }
  return h;
}

/**
 * Runs staged passes side by side: advances each to its next BN, normalises all the waiting inputs as one group,
 * resumes each with its output, until every pass has returned. Returns the passes' outputs in order.
 */
export function runStaged(passes: readonly StagedForward[]): tf.Tensor4D[] {
  const outputs = new Array<tf.Tensor4D>(passes.length);
  runStagedWhenReady(
    passes.length,
    () => true,
    (i) => passes[i] as StagedForward,
    (i, y) => (outputs[i] = y),
  );
  return outputs;
}

/**
 * Runs `count` staged passes that read each other's results (a cell's operations read the nodes that earlier
 * operations sum): pass i starts (`start(i)`) as soon as `ready(i)` holds, and its output goes to `done(i, y)`,
 * which may make other passes ready. Every pass that can run goes as far as its next BN before the waiting ones
 * normalise as one group, so independent passes share their meetings even when they start at different times.
 * Passes start in index order among those ready at once. Throws when some pass never becomes ready.
 */
export function runStagedWhenReady(
  count: number,
  ready: (i: number) => boolean,
  start: (i: number) => StagedForward,
  done: (i: number, y: tf.Tensor4D) => void,
): void {
  const started = new Array<boolean>(count).fill(false);
  let waiting: Array<{ pass: StagedForward; index: number; request: NormRequest }> = [];
  const advance = (index: number, pass: StagedForward, result: IteratorResult<NormRequest, tf.Tensor4D>): void => {
    if (result.done) done(index, result.value);
    else waiting.push({ pass, index, request: result.value });
  };
  const startReady = (): void => {
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < count; i++) {
        if (started[i] || !ready(i)) continue;
        started[i] = true;
        progress = true;
        const pass = start(i);
        advance(i, pass, pass.next());
      }
    }
  };
  startReady();
  while (waiting.length > 0) {
    const group = waiting;
    waiting = [];
    const ys = BatchNorm2d.trainingGroup(
      group.map((w) => w.request.bn),
      group.map((w) => w.request.x),
    );
    group.forEach((w, k) => advance(w.index, w.pass, w.pass.next(ys[k] as tf.Tensor4D)));
    startReady();
  }
  const stuck = started.findIndex((s) => !s);
  if (stuck >= 0) throw new Error(`staged pass ${stuck} never had its inputs`);
}
