import * as tf from '@tensorflow/tfjs-core';
import { addSameShape, concatParts } from '../kernels/index.js';
import type { GenotypePair } from '@lrnas/schema';
import { applyDropPath, dropPathMask } from './drop-path.js';
import { FactorizedReduce, Identity, ReLUConvBN, createOp, type ReluFirst, type Stride } from './ops.js';
import type { Layer } from './module.js';
import { Module, ModuleList, type ForwardContext } from './module.js';
import type { CellPlan } from './plan.js';
import { runStaged, runStagedWhenReady, stagedForward } from './staged.js';

/**
 * A cell of the evaluation network, compiled from one half of a genotype: 4 nodes, each the sum
 * of two operations on earlier states; the output concatenates the 4 nodes along channels.
 * Names follow DARTS: `preprocess0`, `preprocess1`, `ops.<slot>` (slot 0..7).
 */
export class Cell extends Module {
  readonly preprocess0: Layer;
  /** preprocess0 as what it is: ReLUConvBN, or FactorizedReduce after a reduction. */
  readonly #pre0: Layer & ReluFirst;
  readonly preprocess1: ReLUConvBN;
  readonly ops: ModuleList<Layer>;
  /** Input state of each op: 0, 1 are the preprocessed cell inputs, 2.. the earlier nodes. */
  readonly inputs: readonly number[];
  readonly reduction: boolean;

  constructor(pairs: readonly GenotypePair[], plan: CellPlan) {
    super();
    const { c, cPrevPrev, cPrev, reduction, reductionPrev } = plan;
    this.reduction = reduction;
    this.#pre0 = this.addModule(
      'preprocess0',
      reductionPrev ? new FactorizedReduce(cPrevPrev, c) : new ReLUConvBN(cPrevPrev, c, 1, 1, 0),
    );
    this.preprocess0 = this.#pre0;
    this.preprocess1 = this.addModule('preprocess1', new ReLUConvBN(cPrev, c, 1, 1, 0));
    this.inputs = pairs.map(([, input]) => input);
    this.ops = this.addModule(
      'ops',
      new ModuleList(
        pairs.map(([name, input]) => {
          const stride: Stride = reduction && input < 2 ? 2 : 1;
          return createOp(name, c, stride, true);
        }),
      ),
    );
  }

  /**
   * `s0`, `s1`: outputs of the cell before the previous one and of the previous one; with `onRelu`, those outputs
   * already through ReLU (both preprocessings start with one, and every cell's output is read by two cells, so the
   * network computes each ReLU, and its gradient, once instead of twice).
   */
  forward(s0: tf.Tensor4D, s1: tf.Tensor4D, ctx: ForwardContext, onRelu = false): tf.Tensor4D {
    return tf.tidy(() => {
      if (ctx.training) return this.#stagedForward(s0, s1, ctx, onRelu);
      const states = onRelu
        ? [this.#pre0.forwardOnRelu(s0, ctx), this.preprocess1.forwardOnRelu(s1, ctx)]
        : [this.preprocess0.forward(s0, ctx), this.preprocess1.forward(s1, ctx)];
      const ops = this.ops.items;
      for (let node = 0; node < ops.length / 2; node++) {
        const [a, b] = [2 * node, 2 * node + 1].map((slot) =>
          (ops[slot] as Layer).forward(states[this.inputs[slot] as number] as tf.Tensor4D, ctx),
        ) as [tf.Tensor4D, tf.Tensor4D];
        // Same-shape add and concat whose gradients keep no operand alive for backprop.
        states.push(addSameShape(a, b));
      }
      return concatParts(states.slice(2), 3);
    });
  }

  /**
   * The training forward with the BNs of independent operations normalised as groups (nn/staged.ts): the two
   * preprocessings together, then every operation as soon as its input state exists, side by side with the others
   * (LRNAS_C10's normal cell meets the other engine threads 3 times each way instead of 6). The same values as
   * running the operations one by one in slot order: drop-path's masks are drawn up front in that order.
   */
  #stagedForward(s0: tf.Tensor4D, s1: tf.Tensor4D, ctx: ForwardContext, onRelu: boolean): tf.Tensor4D {
    const [p0, p1] = runStaged(
      onRelu
        ? [this.#pre0.stagedOnRelu(s0, ctx), this.preprocess1.stagedOnRelu(s1, ctx)]
        : [stagedForward(this.preprocess0, s0, ctx), stagedForward(this.preprocess1, s1, ctx)],
    );
    const states: Array<tf.Tensor4D | undefined> = [p0, p1];
    const ops = this.ops.items;
    const drop = ctx.dropPathProb ?? 0;
    // DARTS drops every edge except the parameterless identity.
    const masks = ops.map((op) =>
      drop > 0 && !(op instanceof Identity) ? dropPathMask(s0.shape[0], drop, ctx.random) : undefined,
    );
    const outputs = new Array<tf.Tensor4D | undefined>(ops.length);
    const input = (slot: number): tf.Tensor4D | undefined => states[this.inputs[slot] as number];
    runStagedWhenReady(
      ops.length,
      (slot) => input(slot) !== undefined,
      (slot) => stagedForward(ops[slot] as Layer, input(slot) as tf.Tensor4D, ctx),
      (slot, h) => {
        const mask = masks[slot];
        outputs[slot] = mask ? applyDropPath(h, mask) : h;
        const node = slot >> 1;
        const [a, b] = [outputs[2 * node], outputs[2 * node + 1]];
        if (a && b) states[2 + node] = addSameShape(a, b);
      },
    );
    return concatParts(states.slice(2) as tf.Tensor4D[], 3);
  }
}
