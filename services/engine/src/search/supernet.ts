import * as tf from '@tensorflow/tfjs-core';
import { EDGES, NODES, OPS } from '@lrnas/schema';
import { concatParts, scaleGroups, weightedSum } from '../kernels/index.js';
import { BatchNorm2d } from '../nn/batch-norm.js';
import { Conv2d, Linear, globalAvgPool } from '../nn/layers.js';
import type { Layer } from '../nn/module.js';
import { Module, ModuleList, Sequential, type ForwardContext } from '../nn/module.js';
import { runStaged, stagedForward, type StagedForward } from '../nn/staged.js';
import { FactorizedReduce, ReLUConvBN, createOp, type Stride } from '../nn/ops.js';
import {
  CELL_MULTIPLIER,
  planCells,
  STEM_MULTIPLIER,
  validateNetworkShape,
  type CellPlan,
  type NetworkShape,
} from '../nn/plan.js';
import { edgeWeights, type MixingWeights } from './mixing.js';
import { inputOfEdge, OP_COUNT, type CellType } from './space.js';

/** Partial channels of PC-DARTS: 1/k of an edge's input channels go through its mixed op (default k = 4). */
export const DEFAULT_PARTIAL_CHANNELS = 4;

/** How a mixed op treats operations whose weight is 0 in every group of the batch. */
export interface MixOptions {
  /**
   * Skip them (their weighted output is exactly zero): what contribution estimation does, since
   * removed players stay removed for the rest of a permutation. Default true; false computes every
   * operation and multiplies by 0 (the naive reference).
   */
  skipInactive?: boolean;
  /** Counts the work done: operation forwards times the groups they ran for. */
  stats?: { operations: number };
}

/**
 * Channel shuffle with `groups` groups on NHWC: channel g * (C/groups) + j moves to j * groups + g,
 * as PC-DARTS's `view(b, groups, C/groups, h, w).transpose(1, 2)` does on NCHW.
 */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c % groups !== 0) throw new RangeError(`channelShuffle: ${c} channels do not split into ${groups} groups`);
  return tf.tidy(() =>
    tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [n, h, w, c]),
  );
}

/**
 * One edge of the supernet (PC-DARTS's MixedOp): the first C/k channels of the input go through the
 * softmax-weighted sum of the 8 candidate operations (pools followed by a non-affine BN, as in
 * DARTS); the other channels bypass it (2x2 max-pooled on stride-2 edges); the two parts are
 * concatenated and channel-shuffled with k groups. Every BN is non-affine (section 2).
 * `ops.<i>` follows `OPS` order; `none` (index 0) contributes nothing and is never run.
 * The slicing, bypass, concatenation and shuffle are done by the cell (see SearchCell), once per
 * state and per node instead of once per edge; this module computes the weighted terms.
 */
export class MixedOp extends Module {
  readonly ops: ModuleList<Layer>;
  readonly partChannels: number;

  constructor(
    readonly channels: number,
    readonly stride: Stride,
    readonly k: number,
  ) {
    super();
    this.partChannels = channels / k;
    const part = this.partChannels;
    this.ops = this.addModule(
      'ops',
      new ModuleList(
        OPS.map((name) => {
          const op = createOp(name, part, stride, false);
          return name.includes('pool') ? new Sequential([op, new BatchNorm2d(part, { affine: false })]) : op;
        }),
      ),
    );
  }

  /**
   * The weighted outputs op_i(part) * w_i of the operations on `part` (the first C/k channels of the
   * edge's input), one tensor per operation run; `weights` is G x 8, one row per group of the batch.
   */
  terms(part: tf.Tensor4D, weights: Float32Array, ctx: ForwardContext, options: MixOptions = {}): tf.Tensor4D[] {
    const { outputs, scales } = this.operations(part, weights, ctx, options);
    return outputs.map((y, i) => tf.tidy(() => scaleGroups(y, scales[i] as Float32Array)));
  }

  /**
   * The outputs op_i(part) of the operations to run, unweighted, with each one's weight per group (G values):
   * what the cell's weighted sum takes. An output may be `part` itself (skip_connect).
   */
  operations(
    part: tf.Tensor4D,
    weights: Float32Array,
    ctx: ForwardContext,
    options: MixOptions = {},
  ): { outputs: tf.Tensor4D[]; scales: Float32Array[] } {
    const { ops, scales } = this.#active(weights, options);
    return { outputs: ops.map((op) => tf.tidy(() => op.forward(part, ctx))), scales };
  }

  /** `operations` as staged passes (nn/staged.ts), which the cell runs side by side with other edges' passes. */
  stagedOperations(
    part: tf.Tensor4D,
    weights: Float32Array,
    ctx: ForwardContext,
    options: MixOptions = {},
  ): { passes: StagedForward[]; scales: Float32Array[] } {
    const { ops, scales } = this.#active(weights, options);
    return { passes: ops.map((op) => stagedForward(op, part, ctx)), scales };
  }

  /** The operations to run and each one's weight per group (G values). */
  #active(weights: Float32Array, options: MixOptions): { ops: Layer[]; scales: Float32Array[] } {
    const groups = weights.length / OP_COUNT;
    const ops: Layer[] = [];
    const scales: Float32Array[] = [];
    for (let o = 1; o < OP_COUNT; o++) {
      const scale = new Float32Array(groups);
      let active = false;
      for (let g = 0; g < groups; g++) {
        scale[g] = weights[g * OP_COUNT + o] as number;
        if (scale[g] !== 0) active = true;
      }
      if (!active && (options.skipInactive ?? true)) continue;
      ops.push(this.ops.items[o] as Layer);
      scales.push(scale);
      if (options.stats) options.stats.operations += groups;
    }
    return { ops, scales };
  }
}

/**
 * A cell of the supernet: preprocessing of the two inputs (non-affine), then 4 nodes, each the sum
 * of the mixed ops on its edges from every earlier state; the output concatenates the nodes.
 *
 * Every edge from a state reads the same C/k channels of it and passes on the same rest, and the
 * concatenation and shuffle are linear, so a node, the sum over its edges of
 * shuffle(concat(mixed_e, bypass_e)), equals shuffle(concat(sum of mixed_e, sum of bypass_e)):
 * the cell slices each state once and concatenates and shuffles once per node (channel slicing and
 * concatenation are strided copies, the dearest kernels of this network on wasm).
 */
export class SearchCell extends Module {
  readonly preprocess0: Layer;
  readonly preprocess1: ReLUConvBN;
  readonly edges: ModuleList<MixedOp>;
  readonly cellType: CellType;
  readonly reduction: boolean;
  readonly k: number;

  constructor(plan: CellPlan, k: number) {
    super();
    const { c, cPrevPrev, cPrev, reduction, reductionPrev } = plan;
    this.cellType = reduction ? 'reduce' : 'normal';
    this.reduction = reduction;
    this.k = k;
    this.preprocess0 = this.addModule(
      'preprocess0',
      reductionPrev ? new FactorizedReduce(cPrevPrev, c, false) : new ReLUConvBN(cPrevPrev, c, 1, 1, 0, false),
    );
    this.preprocess1 = this.addModule('preprocess1', new ReLUConvBN(cPrev, c, 1, 1, 0, false));
    this.edges = this.addModule(
      'edges',
      new ModuleList(
        Array.from({ length: EDGES }, (_, e) => new MixedOp(c, reduction && inputOfEdge(e) < 2 ? 2 : 1, k)),
      ),
    );
  }

  forward(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    weights: MixingWeights,
    ctx: ForwardContext,
    options?: MixOptions,
  ): tf.Tensor4D {
    return tf.tidy(() => {
      const parts: tf.Tensor4D[] = [];
      const bypasses: tf.Tensor4D[] = [];
      const nodes: tf.Tensor4D[] = [];
      const addState = (state: tf.Tensor4D, stride: Stride): void => {
        if (this.k === 1) {
          parts.push(state);
          return;
        }
        const c = state.shape[3];
        const cut = c / this.k;
        // One split: its gradient is one concatenation (two slices' would be two padded copies and a sum).
        const [part, rest] = tf.split(state, [cut, c - cut], 3) as [tf.Tensor4D, tf.Tensor4D];
        parts.push(part);
        // 'same' padding gives ceil(H/2) like the stride-2 operations (PyTorch's MaxPool2d(2, 2) floors; equal on even sizes).
        bypasses.push(stride === 2 ? tf.maxPool(rest, 2, 2, 'same') : rest);
      };
      const inputStride: Stride = this.reduction ? 2 : 1;
      // In training, the BNs of every operation at one depth normalise as one group (nn/staged.ts): with engine
      // threads the threads then meet a few times per cell instead of at each of its hundred BNs.
      const staged = ctx.training;
      const [p0, p1] = staged
        ? runStaged([stagedForward(this.preprocess0, s0, ctx), stagedForward(this.preprocess1, s1, ctx)])
        : [this.preprocess0.forward(s0, ctx), this.preprocess1.forward(s1, ctx)];
      addState(p0 as tf.Tensor4D, inputStride);
      addState(p1 as tf.Tensor4D, inputStride);
      const [b, h, w, c] = parts[0]!.shape;
      const outShape: [number, number, number, number] = [
        b,
        this.reduction ? Math.ceil(h / 2) : h,
        this.reduction ? Math.ceil(w / 2) : w,
        c,
      ];
      let edge = 0;
      for (let node = 0; node < NODES; node++) {
        let outputs: tf.Tensor4D[] = [];
        const passes: StagedForward[] = [];
        const scales: Float32Array[] = [];
        for (let input = 0; input < node + 2; input++, edge++) {
          const mixed = this.edges.items[edge] as MixedOp;
          const mixing = edgeWeights(weights, this.cellType, edge);
          if (staged) {
            const ran = mixed.stagedOperations(parts[input]!, mixing, ctx, options);
            passes.push(...ran.passes);
            scales.push(...ran.scales);
          } else {
            const ran = mixed.operations(parts[input]!, mixing, ctx, options);
            outputs.push(...ran.outputs);
            scales.push(...ran.scales);
          }
        }
        if (staged) outputs = runStaged(passes);
        // The weights as G rows of one weight per output, for one weighted sum (one kernel on wasm).
        const groups = weights.groups;
        const matrix = new Float32Array(groups * outputs.length);
        scales.forEach((s, t) => s.forEach((v, g) => (matrix[g * outputs.length + t] = v)));
        const mixedSum: tf.Tensor4D = outputs.length === 0 ? tf.zeros(outShape) : weightedSum(outputs, matrix);
        // Free the operations' outputs now rather than at the end of the cell: with several masks in one pass they
        // are the bulk of the memory (the sum's gradient needs none of them; a gradient tape keeps what it needs).
        tf.dispose(outputs.filter((y) => !parts.includes(y)));
        let out = mixedSum;
        if (this.k > 1) {
          const bypass = tf.addN(bypasses.slice(0, node + 2)) as tf.Tensor4D;
          out = channelShuffle(concatParts([mixedSum, bypass], 3), this.k);
        }
        nodes.push(out);
        if (node < NODES - 1) addState(out, 1);
      }
      return concatParts(nodes, 3);
    });
  }
}

/** How to build a supernet. */
export interface SupernetOptions extends NetworkShape {
  /** PC-DARTS's k: 1/k of each edge's channels go through its mixed op. Default 4. */
  partialChannels?: number;
  /** Base seed of the initial weights. Default 0. */
  seed?: number;
}

/**
 * The search network (lrnas-method.md section 2; DARTS's search Network with PC-DARTS edges): stem
 * (3x3 conv to 3C, BN), L search cells with reductions at L/3 and 2L/3, global average pooling,
 * linear classifier. The architecture weights are not variables of this module: every forward pass
 * takes explicit mixing weights, which may differ per group of the batch (one group per mask).
 */
export class Supernet extends Module {
  readonly stem: Sequential;
  readonly cells: ModuleList<SearchCell>;
  readonly classifier: Linear;
  readonly shape: Readonly<NetworkShape>;
  readonly k: number;

  constructor(options: SupernetOptions) {
    super();
    const { channels, layers, classes, inputChannels } = validateNetworkShape(options);
    this.shape = { channels, layers, classes, inputChannels };
    this.k = options.partialChannels ?? DEFAULT_PARTIAL_CHANNELS;
    if (!Number.isInteger(this.k) || this.k < 1 || channels % this.k !== 0) {
      throw new RangeError(`partialChannels must be a positive integer dividing channels (${channels}), got ${this.k}`);
    }
    const plan = planCells(this.shape);
    const stemC = STEM_MULTIPLIER * channels;
    this.stem = this.addModule(
      'stem',
      new Sequential([new Conv2d(inputChannels, stemC, 3, { pad: 1 }), new BatchNorm2d(stemC)]),
    );
    this.cells = this.addModule('cells', new ModuleList(plan.map((cell) => new SearchCell(cell, this.k))));
    const lastC = CELL_MULTIPLIER * (plan[plan.length - 1]?.c ?? 0);
    this.classifier = this.addModule('classifier', new Linear(lastC, classes));
    this.initialize(options.seed ?? 0);
  }

  /** Index of the first reduction cell (the first cell reduction players touch). */
  get firstReduction(): number {
    return this.cells.items.findIndex((cell) => cell.cellType === 'reduce');
  }

  /** Stem output for images `[N, H, W, inputChannels]`. */
  stemForward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    if (x.rank !== 4 || x.shape[3] !== this.shape.inputChannels) {
      throw new Error(
        `Supernet expects NHWC input [N, H, W, ${this.shape.inputChannels}], got [${x.shape.join(', ')}]`,
      );
    }
    return this.stem.forward(x, ctx);
  }

  /**
   * Runs cells `from` .. `to - 1` on the states (s0, s1) entering cell `from`; returns the states
   * entering cell `to` (the caller disposes them; they may be the inputs when from = to).
   */
  runCells(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    from: number,
    to: number,
    weights: MixingWeights,
    ctx: ForwardContext,
    options?: MixOptions,
  ): [tf.Tensor4D, tf.Tensor4D] {
    const batch = s1.shape[0];
    if (batch % weights.groups !== 0) {
      throw new RangeError(`a batch of ${batch} does not split into ${weights.groups} groups`);
    }
    return tf.tidy(() => {
      let [a, b] = [s0, s1];
      for (let i = from; i < to; i++) {
        const next = this.cells.items[i]!.forward(a, b, weights, ctx, options);
        // Free a state once no later cell reads it (a gradient tape keeps its own references).
        if (a !== s0 && a !== s1 && a !== b) a.dispose();
        [a, b] = [b, next];
      }
      return [a, b];
    });
  }

  /** Logits from the output of the last cell. */
  head(last: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.classifier.forward(globalAvgPool(last)));
  }

  /** Frees every variable and the cached inference factors of the BNs and scaled weights of the convs. */
  override dispose(): void {
    for (const [, module] of this.namedModules()) {
      if (module instanceof BatchNorm2d || module instanceof Conv2d) module.clearInferenceCache();
    }
    super.dispose();
  }

  /** Logits `[N, classes]` of images `[N, H, W, inputChannels]` (N a multiple of `weights.groups`). */
  forward(x: tf.Tensor4D, weights: MixingWeights, ctx: ForwardContext, options?: MixOptions): tf.Tensor2D {
    return tf.tidy(() => {
      const stem = this.stemForward(x, ctx);
      const [, last] = this.runCells(stem, stem, 0, this.cells.items.length, weights, ctx, options);
      return this.head(last);
    });
  }
}
