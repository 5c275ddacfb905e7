import * as tf from '@tensorflow/tfjs-core';

/*
 * Backpropagation that frees memory as it goes. tfjs-core 4.22's Engine.gradients keeps, until the whole backward
 * pass ends, every tensor saved for backprop and the gradient of every intermediate tensor, and every temporary
 * of a custom gradient: on the paper network (C=36, 20 cells) that is 3-4x the memory of the forward pass, which
 * put a batch of 32 beyond the wasm backend's 4 GB heap. This walk computes the same gradients in the same order
 * and, once a tape node is done, frees its saved tensors, its temporaries and the gradients of its outputs
 * (every consumer of an output comes later on the tape, so it has been processed already).
 */

/** A recorded operation of tfjs-core's tape (tape.d.ts). */
interface TapeNode {
  id: number;
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

/** The parts of tfjs-core 4.22's Engine that gradients() uses (several are private in its typings). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string | (() => T), fn?: () => T): T;
  gradients<T extends tf.Tensor>(
    f: () => T,
    xs: tf.Tensor[],
    dy?: T,
    allowNoGradients?: boolean,
  ): { value: T; grads: tf.Tensor[] };
}

type Gradients = EngineInternals['gradients'];

/**
 * The nodes of `tape` on a path from some x to y, with inputs not computed from any x pruned (what tfjs-core's
 * getFilteredNodesXToY returns; that function is not exported).
 */
function nodesFromXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      node.outputs.forEach((output) => fromX.add(output.id));
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((output) => toY.has(output.id))) {
      Object.values(node.inputs).forEach((input) => toY.add(input.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
    }));
}

/**
 * Gradients by tensor id: the contributions of a tensor's consumers, kept apart until the tensor's own node (or the
 * caller) reads them, then added with one AddN. A tensor that feeds many operations (a supernet state feeds 28)
 * took one Add kernel per consumer, each reading and writing the whole running sum. AddN adds in list order from
 * zero, so the sum is the one the Adds gave.
 */
class GradientSums {
  readonly #parts = new Map<number, tf.Tensor[]>();

  constructor(private readonly keep: Set<tf.Tensor>) {}

  /** Adds a contribution to tensor `id`'s gradient. */
  add(id: number, dx: tf.Tensor): void {
    const parts = this.#parts.get(id);
    if (parts) parts.push(dx);
    else this.#parts.set(id, [dx]);
  }

  /** Tensor `id`'s gradient (its contributions summed now, and freed unless referred to elsewhere), or undefined. */
  read(id: number): tf.Tensor | undefined {
    const parts = this.#parts.get(id);
    if (!parts || parts.length === 0) return undefined;
    if (parts.length === 1) return parts[0];
    const sum = tf.addN(parts);
    this.#parts.set(id, [sum]);
    parts.forEach((t) => this.#release(t));
    return sum;
  }

  /** Forgets tensor `id`'s gradient, freeing what nothing else refers to. */
  drop(id: number): void {
    const parts = this.#parts.get(id) ?? [];
    this.#parts.delete(id);
    parts.forEach((t) => this.#release(t));
  }

  // A tensor can stand for several gradients (a gradient may pass its dy through): free it only when no entry refers
  // to it any more. The map holds the frontier of the walk, so the scan is short.
  #release(t: tf.Tensor): void {
    if (this.keep.has(t)) return;
    for (const parts of this.#parts.values()) if (parts.includes(t)) return;
    t.dispose();
  }
}

/** Walks `tape` backwards from the gradients in `grads`, freeing what each node no longer needs. */
function backpropagate(engine: EngineInternals, grads: GradientSums, tape: TapeNode[]) {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    const gradient = node.gradient;
    if (!gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((output) => grads.read(output.id) ?? null);
    const names = Object.keys(node.inputs);
    // One scope per node: the gradients of its inputs survive, its temporaries (also a custom gradient's) do not.
    const dxs = engine.tidy(() => {
      const thunks = gradient(dys);
      return names.map((name) => {
        const thunk = thunks[name];
        if (!thunk) {
          throw new Error(
            `Cannot backprop through input ${name}. Available gradients found: ${Object.keys(thunks).join(',')}.`,
          );
        }
        return thunk();
      });
    });
    names.forEach((name, k) => {
      const dx = dxs[k] as tf.Tensor;
      const x = node.inputs[name] as tf.Tensor;
      if (dx.dtype !== 'float32') {
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
        );
      }
      if (!tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
        );
      }
      grads.add(x.id, dx);
    });
    // Every consumer of this node's outputs came later on the tape: their gradients are spent too.
    for (const output of node.outputs) grads.drop(output.id);
    node.saved?.forEach((t) => t.dispose());
  }
}

/** Engine.gradients of tfjs-core 4.22 with the freeing walk above (nested gradients keep the original). */
function freeingGradients(original: Gradients): Gradients {
  return function gradients<T extends tf.Tensor>(
    this: EngineInternals,
    f: () => T,
    xs: tf.Tensor[],
    dy?: T,
    allowNoGradients = false,
  ): { value: T; grads: tf.Tensor[] } {
    // Inside another gradient (higher-order), the tape must keep everything: use tfjs's own walk.
    if (this.state.gradientDepth !== 0)
      return original.call(this, f, xs, dy, allowNoGradients) as { value: T; grads: tf.Tensor[] };
    if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
    if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
    const y = this.scopedRun(
      () => this.startTape(),
      () => this.endTape(),
      () => this.tidy('forward', f),
    );
    if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
    const tape = this.state.activeTape ?? [];
    const filtered = nodesFromXToY(tape, xs, y);
    if (!allowNoGradients && filtered.length === 0 && xs.length > 0) {
      throw new Error(
        'Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.',
      );
    }
    return this.tidy('backward', () => {
      const seed = dy ?? tf.ones(y.shape);
      // The caller's dy is theirs; gradients of xs are the results.
      const grads = new GradientSums(new Set<tf.Tensor>(dy ? [dy] : []));
      grads.add(y.id, seed);
      try {
        backpropagate(this, grads, filtered);
      } finally {
        for (const node of tape) node.saved?.forEach((t) => t.dispose());
        this.state.activeTape = null;
      }
      return { value: y, grads: xs.map((x) => grads.read(x.id)) as tf.Tensor[] };
    });
  };
}

let installed: Gradients | undefined;

/** Puts the freeing backward walk in place of tfjs-core's (once; later calls do nothing). */
export function installFreeingBackprop(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (installed && engine.gradients === installed) return;
  installed = freeingGradients(engine.gradients);
  engine.gradients = installed;
}
