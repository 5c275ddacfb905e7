import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { setBatchStatisticsReducer } from '../kernels/index.js';
import { useTwinThreadReducer } from '../kernels/test-reducer.js';
import { Cell } from './cell.js';
import { dropPath } from './drop-path.js';
import type { ForwardContext, Layer } from './module.js';
import { Identity } from './ops.js';
import type { CellPlan } from './plan.js';
import { assertClose, publishedGenotypes, seededRandom, useBackend } from './test-util.js';

const LRNAS_C10 = publishedGenotypes().LRNAS_C10;

/** A normal cell after a reduction (FactorizedReduce on input 0) and a reduction cell, at 4 channels. */
const CASES: Array<{ name: string; plan: CellPlan; pairs: typeof LRNAS_C10.normal; meetings: number; single: number }> =
  [
    {
      name: 'normal',
      plan: { index: 1, reduction: false, reductionPrev: true, cPrevPrev: 6, cPrev: 8, c: 4 },
      pairs: LRNAS_C10.normal,
      // Preprocessing, then both sep_convs' first BNs, then their second ones; one by one: 6 BNs.
      meetings: 3,
      single: 6,
    },
    {
      name: 'reduction',
      plan: { index: 2, reduction: true, reductionPrev: false, cPrevPrev: 8, cPrev: 8, c: 4 },
      pairs: LRNAS_C10.reduce,
      // Preprocessing, then sep_conv_5x5's first BN with the skip's FactorizedReduce, then its second; one by one: 5.
      meetings: 3,
      single: 5,
    },
  ];

/** The cell's training forward as operations one by one in slot order (what Cell.forward ran before staging). */
function oneByOne(cell: Cell, s0: tf.Tensor4D, s1: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  return tf.tidy(() => {
    const states = [cell.preprocess0.forward(s0, ctx), cell.preprocess1.forward(s1, ctx)];
    const ops = cell.ops.items;
    for (let node = 0; node < ops.length / 2; node++) {
      const [a, b] = [2 * node, 2 * node + 1].map((slot) => {
        const op = ops[slot] as Layer;
        const h = op.forward(states[cell.inputs[slot] as number] as tf.Tensor4D, ctx);
        return (ctx.dropPathProb ?? 0) > 0 && !(op instanceof Identity)
          ? dropPath(h, ctx.dropPathProb ?? 0, ctx.random)
          : h;
      }) as [tf.Tensor4D, tf.Tensor4D];
      states.push(tf.add(a, b));
    }
    return tf.concat(states.slice(2), 3);
  });
}

/** Output, running statistics and parameter gradients of one training step of `cell`, and the threads' meetings. */
function step(
  cell: Cell,
  forward: (s0: tf.Tensor4D, s1: tf.Tensor4D) => tf.Tensor4D,
  s0: tf.Tensor4D,
  s1: tf.Tensor4D,
) {
  const reducer = useTwinThreadReducer();
  try {
    const params = cell.namedParameters().map(([, v]) => v);
    let output: Float32Array = new Float32Array();
    let forwardMeetings = 0;
    const { value, grads } = tf.variableGrads(() => {
      const y = forward(s0, s1);
      forwardMeetings = reducer.meetings;
      output = y.dataSync() as Float32Array;
      return tf.sum(tf.mul(y, tf.reshape(tf.linspace(-1, 2, y.size), y.shape))) as tf.Scalar;
    }, params);
    const result = {
      output,
      running: cell.namedBuffers().map(([, v]) => v.dataSync() as Float32Array),
      grads: params.map((v) => grads[v.name]?.dataSync() as Float32Array),
      meetings: [forwardMeetings, reducer.meetings] as [number, number],
    };
    tf.dispose([value, ...Object.values(grads)]);
    return result;
  } finally {
    setBatchStatisticsReducer(undefined);
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`an evaluation cell's training forward groups its independent BNs and equals its operations one by one, with drop-path, on ${backend}`, async () => {
    await useBackend(backend);
    for (const { name, plan, pairs, meetings, single } of CASES) {
      const [h, w] = plan.reductionPrev ? [8, 8] : [4, 4];
      const s0 = tf.tensor4d(Float32Array.from({ length: 2 * h * w * plan.cPrevPrev }, seededRandom(3)), [
        2,
        h,
        w,
        plan.cPrevPrev,
      ]);
      const s1 = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 4 * plan.cPrev }, seededRandom(4)), [
        2,
        4,
        4,
        plan.cPrev,
      ]);
      const build = (): Cell => {
        const cell = new Cell(pairs, plan);
        cell.initialize(7);
        return cell;
      };
      const before = tf.memory().numTensors;
      // Drop-path's numbers drawn by each run (every non-identity operation draws one per sample).
      const draws: number[][] = [];
      const ctx = (): ForwardContext => {
        const next = seededRandom(11);
        const drawn: number[] = [];
        draws.push(drawn);
        return { training: true, dropPathProb: 0.3, random: () => drawn[drawn.push(next()) - 1] as number };
      };
      const referenceCell = build();
      const reference = step(referenceCell, (a, b) => oneByOne(referenceCell, a, b, ctx()), s0, s1);
      const stagedCell = build();
      const staged = step(stagedCell, (a, b) => stagedCell.forward(a, b, ctx()), s0, s1);
      assert.deepEqual(staged.output, reference.output, `${name}: outputs`);
      assert.ok(draws[0] && draws[0].length > 0, `${name}: drop-path drew numbers`);
      assert.deepEqual(draws[1], draws[0], `${name}: drop-path draws`);
      assert.deepEqual(staged.running, reference.running, `${name}: running statistics`);
      // The gradients of a state read by several operations are summed in another order.
      staged.grads.forEach((g, i) =>
        assertClose(g, reference.grads[i] as Float32Array, 1e-5, `${name}: gradient ${i}`),
      );
      if (backend === 'wasm') {
        // On cpu the group kernels run the single ones (a meeting per BN).
        assert.deepEqual(staged.meetings, [meetings, 2 * meetings], `${name}: meetings forward and in all`);
        assert.deepEqual(reference.meetings, [single, 2 * single], `${name}: meetings one by one`);
      }
      [referenceCell, stagedCell].forEach((cell) => cell.dispose());
      assert.equal(tf.memory().numTensors, before, `${name}: no tensor left behind but the inputs`);
      tf.dispose([s0, s1]);
    }
  });
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`a cell run on its inputs already through ReLU (onRelu) gives the bits of the cell that applies it, training and inference, on ${backend}`, async () => {
    await useBackend(backend);
    for (const { name, plan, pairs } of CASES) {
      const [h, w] = plan.reductionPrev ? [8, 8] : [4, 4];
      const s0 = tf.tensor4d(Float32Array.from({ length: 2 * h * w * plan.cPrevPrev }, seededRandom(5)), [
        2,
        h,
        w,
        plan.cPrevPrev,
      ]);
      const s1 = tf.tensor4d(Float32Array.from({ length: 2 * 4 * 4 * plan.cPrev }, seededRandom(6)), [
        2,
        4,
        4,
        plan.cPrev,
      ]);
      const build = (): Cell => new Cell(pairs, plan).initialize(7);
      const ctx = (): ForwardContext => {
        const next = seededRandom(12);
        return { training: true, dropPathProb: 0.3, random: () => next() };
      };
      const before = tf.memory().numTensors;
      const [plain, shared] = [build(), build()];
      const reference = step(plain, (a, b) => plain.forward(a, b, ctx()), s0, s1);
      const onRelu = step(shared, (a, b) => shared.forward(tf.relu(a), tf.relu(b), ctx(), true), s0, s1);
      assert.deepEqual(onRelu.output, reference.output, `${name}: training outputs`);
      assert.deepEqual(onRelu.running, reference.running, `${name}: running statistics`);
      assert.deepEqual(onRelu.grads, reference.grads, `${name}: parameter gradients`);
      assert.deepEqual(onRelu.meetings, reference.meetings, `${name}: meetings`);
      // Inference: outputs and the gradients with respect to the inputs (what an attack reads).
      const inference = { training: false };
      const weights = tf.tidy(() => tf.reshape(tf.linspace(-1, 2, 2 * 4 * 4 * 4 * (plan.reduction ? 1 : 4)), [-1]));
      const grads = (f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D): Float32Array[] =>
        tf.tidy(() => {
          const loss = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
            tf.sum(tf.mul(tf.reshape(f(a as tf.Tensor4D, b as tf.Tensor4D), [-1]), weights));
          const [ga, gb] = tf.grads(loss)([s0, s1]) as [tf.Tensor, tf.Tensor];
          return [f(s0, s1), ga, gb].map((t) => t.dataSync() as Float32Array);
        });
      assert.deepEqual(
        grads((a, b) => shared.forward(tf.relu(a), tf.relu(b), inference, true)),
        grads((a, b) => plain.forward(a, b, inference)),
        `${name}: inference outputs and input gradients`,
      );
      // The preprocessings' two ReLUs are the ones not run (the caller's, once per state, are outside the cell).
      const relus = async (f: () => tf.Tensor): Promise<number> => {
        const info = await tf.profile(() => tf.tidy(f));
        tf.dispose(info.result as tf.Tensor);
        return info.kernels.filter((k) => k.name === 'Relu').length;
      };
      const [r0, r1] = [tf.relu(s0), tf.relu(s1)];
      const sharedRelus = await relus(() => shared.forward(r0, r1, inference, true));
      assert.equal(await relus(() => plain.forward(s0, s1, inference)), sharedRelus + 2, `${name}: ReLUs run`);
      tf.dispose([r0, r1, weights]);
      [plain, shared].forEach((cell) => cell.dispose());
      assert.equal(tf.memory().numTensors, before, `${name}: no tensor left behind but the inputs`);
      tf.dispose([s0, s1]);
    }
  });
}
