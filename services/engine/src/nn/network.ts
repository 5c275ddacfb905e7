import * as tf from '@tensorflow/tfjs-core';
import type { Genotype } from '@lrnas/schema';
import { AuxiliaryHead } from './aux-head.js';
import { BatchNorm2d } from './batch-norm.js';
import { Cell } from './cell.js';
import { Conv2d, Linear, globalAvgPool } from './layers.js';
import { Module, ModuleList, Sequential, type ForwardContext } from './module.js';
import { auxiliaryLayer, CELL_MULTIPLIER, planCells, STEM_MULTIPLIER, type NetworkShape } from './plan.js';

/** How to build an evaluation network. */
export interface EvalNetworkOptions extends NetworkShape {
  /** Add DARTS's auxiliary head after cell 2L/3 (its logits are returned in training only). Default false. */
  auxiliary?: boolean;
  /** Base seed of the initial weights. Default 0. */
  seed?: number;
}

/** Output of a forward pass. */
export interface NetworkOutput {
  logits: tf.Tensor2D;
  /** Logits of the auxiliary head: present when it exists and `ctx.training` is true. */
  auxLogits?: tf.Tensor2D;
}

/**
 * The network that is retrained and attacked (lrnas-method.md section 7, DARTS's NetworkCIFAR):
 * stem (3x3 conv to 3C, BN), L cells with reductions at L/3 and 2L/3, global average pooling,
 * linear classifier; optional auxiliary head and drop-path. NHWC input `[N, H, W, inputChannels]`,
 * any H and W. The constructor initialises every variable from `seed`.
 */
export class EvalNetwork extends Module {
  readonly stem: Sequential;
  readonly cells: ModuleList<Cell>;
  readonly auxiliaryHead: AuxiliaryHead | undefined;
  readonly classifier: Linear;
  readonly shape: Readonly<NetworkShape>;
  readonly genotype: Genotype;

  constructor(genotype: Genotype, options: EvalNetworkOptions) {
    super();
    const { channels, layers, classes, inputChannels } = options;
    this.shape = { channels, layers, classes, inputChannels };
    this.genotype = structuredClone(genotype);
    const plan = planCells(this.shape);
    const stemC = STEM_MULTIPLIER * channels;
    this.stem = this.addModule(
      'stem',
      new Sequential([new Conv2d(inputChannels, stemC, 3, { pad: 1 }), new BatchNorm2d(stemC)]),
    );
    this.cells = this.addModule(
      'cells',
      new ModuleList(plan.map((cell) => new Cell(cell.reduction ? genotype.reduce : genotype.normal, cell))),
    );
    const auxC = CELL_MULTIPLIER * (plan[auxiliaryLayer(layers)]?.c ?? 0);
    this.auxiliaryHead = options.auxiliary
      ? this.addModule('auxiliary_head', new AuxiliaryHead(auxC, classes))
      : undefined;
    const lastC = CELL_MULTIPLIER * (plan[plan.length - 1]?.c ?? 0);
    this.classifier = this.addModule('classifier', new Linear(lastC, classes));
    this.initialize(options.seed ?? 0);
  }

  /** Logits `[N, classes]` (and the auxiliary logits in training) for images `[N, H, W, inputChannels]`. */
  forward(x: tf.Tensor4D, ctx: ForwardContext): NetworkOutput {
    if (x.rank !== 4 || x.shape[3] !== this.shape.inputChannels) {
      throw new Error(
        `EvalNetwork expects NHWC input [N, H, W, ${this.shape.inputChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    const auxAt = this.auxiliaryHead && ctx.training ? auxiliaryLayer(this.shape.layers) : -1;
    const [logits, auxLogits] = tf.tidy(() => {
      let aux: tf.Tensor2D | undefined;
      const stem = this.stem.forward(x, ctx);
      // Cells read their inputs through ReLU (their preprocessings start with one), and each output is read by the
      // next two cells (the stem's by the first, twice): each ReLU is computed once, as is its gradient (the two
      // readers' gradients are added first, which masks to the same values as adding the two masked ones).
      const cells = this.cells.items;
      let r1 = tf.relu(stem);
      let r0 = r1;
      let last = stem;
      if (cells.length > 0) stem.dispose();
      cells.forEach((cell, i) => {
        const next = cell.forward(r0, r1, ctx, true);
        // Free a tensor as soon as no later cell reads it (the gradient tape keeps its own copies).
        if (r0 !== r1) r0.dispose();
        if (i === auxAt) aux = this.auxiliaryHead?.forward(next, ctx);
        r0 = r1;
        if (i < cells.length - 1) {
          r1 = tf.relu(next);
          next.dispose();
        } else {
          last = next;
        }
      });
      r0.dispose();
      const logits = this.classifier.forward(globalAvgPool(last));
      return aux ? [logits, aux] : [logits];
    });
    return auxLogits ? { logits, auxLogits } : { logits };
  }
}
