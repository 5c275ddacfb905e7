import * as tf from '@tensorflow/tfjs-core';
import { ContractError } from '@lrnas/schema';
import { SGD_STEP } from '../kernels/index.js';
import { takeScalar } from '../read.js';

/** Settings of SGD; the defaults are the paper's retraining values (lrnas-method.md section 7). */
export interface SgdOptions {
  /** Momentum factor mu (default 0.9); 0 keeps no momentum buffers. */
  momentum?: number;
  /** L2 penalty added to each gradient as `weightDecay * w` (default 0). */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with momentum and weight decay, with PyTorch's semantics (no dampening,
 * no Nesterov): d = g + wd * w; buf = d on a parameter's first step, else mu * buf + d; w -= lr * buf.
 * Parameters and their momentum buffers are named, so that a checkpoint can store and restore them.
 */
export class Sgd {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly #params: ReadonlyMap<string, tf.Variable>;
  /** Momentum buffers of the parameters that have taken a step (PyTorch creates them lazily too). */
  readonly #buffers = new Map<string, tf.Variable>();

  /** Optimises the given named parameters. */
  constructor(params: ReadonlyArray<readonly [string, tf.Variable]>, options: SgdOptions = {}) {
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.momentum >= 0 && this.momentum < 1))
      throw new ContractError('momentum', `must be in [0, 1), got ${this.momentum}`);
    if (!(this.weightDecay >= 0 && Number.isFinite(this.weightDecay)))
      throw new ContractError('weightDecay', `must be a non-negative number, got ${this.weightDecay}`);
    this.#params = new Map(params);
    if (this.#params.size !== params.length) throw new ContractError('params', 'parameter names must be unique');
  }

  /**
   * Applies one update with learning rate `lr`. `grads` maps parameter names to gradients; a parameter
   * without a gradient is left alone (its buffer too), as PyTorch skips parameters whose grad is None. Each
   * gradient is first multiplied by `gradScale` (gradientClip's factor; 1 leaves it as it is), rounded to float32
   * as a multiply would.
   */
  step(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale = 1): void {
    if (!(Number.isFinite(lr) && lr >= 0)) throw new ContractError('lr', `must be a non-negative number, got ${lr}`);
    if (!(Number.isFinite(gradScale) && gradScale >= 0))
      throw new ContractError('gradScale', `must be a non-negative number, got ${gradScale}`);
    for (const name of grads.keys()) {
      if (!this.#params.has(name)) throw new ContractError('grads', `no parameter named ${name}`);
    }
    const fused = tf.getKernel(SGD_STEP, tf.getBackend()) !== undefined;
    for (const [name, w] of this.#params) {
      const g = grads.get(name);
      if (!g) continue;
      if (fused) {
        this.#fusedStep(name, w, g, lr, gradScale);
        continue;
      }
      tf.tidy(() => {
        const gs = gradScale === 1 ? g : tf.mul(g, gradScale);
        const d = this.weightDecay === 0 ? gs : tf.add(gs, tf.mul(w, this.weightDecay));
        let update = d;
        if (this.momentum > 0) {
          const buf = this.#buffers.get(name);
          if (buf) {
            buf.assign(tf.add(tf.mul(buf, this.momentum), d));
            update = buf;
          } else {
            const created = tf.variable(d, false);
            this.#buffers.set(name, tf.keep(created));
            update = created;
          }
        }
        w.assign(tf.sub(w, tf.mul(update, lr)));
      });
    }
  }

  /** One parameter's step as one kernel (cpu and wasm), with the same float32 roundings as the ops of step. */
  #fusedStep(name: string, w: tf.Variable, g: tf.Tensor, lr: number, gradScale: number): void {
    const buf = this.#buffers.get(name);
    const attrs = { lr, momentum: this.momentum, weightDecay: this.weightDecay, gradScale };
    const outs = tf.engine().runKernel(SGD_STEP, { w, g, ...(buf ? { buf } : {}) }, attrs) as tf.Tensor[];
    const [next, nextBuf] = outs as [tf.Tensor, tf.Tensor | undefined];
    w.assign(next);
    next.dispose();
    if (nextBuf) {
      if (buf) {
        buf.assign(nextBuf);
        nextBuf.dispose();
      } else {
        this.#buffers.set(name, tf.keep(tf.variable(nextBuf, false)));
        nextBuf.dispose();
      }
    }
  }

  /** The momentum buffers by parameter name (live variables; do not dispose them). */
  namedBuffers(): Array<[string, tf.Variable]> {
    return [...this.#params.keys()].flatMap((name): Array<[string, tf.Variable]> => {
      const buf = this.#buffers.get(name);
      return buf ? [[name, buf]] : [];
    });
  }

  /**
   * Replaces the momentum buffers (from a checkpoint). Each name must be a parameter and each shape
   * its shape; parameters left out start fresh on their next step. The given tensors are not disposed.
   */
  loadBuffers(buffers: ReadonlyMap<string, tf.Tensor>): void {
    for (const [name, value] of buffers) {
      const w = this.#params.get(name);
      if (!w) throw new ContractError(`momentum.${name}`, 'is not a parameter of this network');
      if (!tf.util.arraysEqual(w.shape, value.shape))
        throw new ContractError(`momentum.${name}`, `has shape [${value.shape}], the parameter [${w.shape}]`);
    }
    this.#disposeBuffers();
    for (const [name, value] of buffers) {
      this.#buffers.set(
        name,
        tf.tidy(() => tf.variable(tf.cast(value, 'float32'), false)),
      );
    }
  }

  /** Frees the momentum buffers (the parameters belong to the network). */
  dispose(): void {
    this.#disposeBuffers();
  }

  #disposeBuffers(): void {
    for (const buf of this.#buffers.values()) buf.dispose();
    this.#buffers.clear();
  }
}

const f32 = Math.fround;

/** Backends whose tensors live in host memory: reading every gradient is a copy there, not a wait for a device. */
const HOST_MEMORY = new Set(['cpu', 'wasm']);

/** Whether gradientClip reduces on the host (cpu, wasm) rather than on a device: clipFromSquares then matches it. */
export function clipsOnHost(backend: string = tf.getBackend()): boolean {
  return HOST_MEMORY.has(backend);
}

/**
 * The global L2 norm of `grads` and PyTorch's clip_grad_norm_ factor min(1, maxNorm / (norm + 1e-6)), for
 * Sgd.step's gradScale. In host memory (cpu, wasm) it is computed from the gradients' values in JavaScript with the
 * float32 roundings of the ops it replaces (square, sum, addN, sqrt, add, div, minimum; sums accumulated in float64
 * as the cpu and wasm kernels do), which ran three kernels per parameter: the supernet has over a thousand. On a
 * device (webgpu) the squared sum is reduced there and only it is read. Reads are asynchronous.
 */
export async function gradientClip(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): Promise<{ norm: number; factor: number }> {
  checkMaxNorm(maxNorm);
  const total = clipsOnHost() || grads.size === 0 ? await hostSquaredSum(grads) : await deviceSquaredSum(grads);
  return clipOfTotal(total, maxNorm);
}

/**
 * gradientClip's result from the sums of squares of each gradient (`sums[p]`: float64 sum over gradient p's values
 * of their float32 squares, each rounded to float32, in order): the same norm and factor, bit for bit, as
 * gradientClip in host memory over those gradients in that order. Engine threads that each square a share of the
 * summed gradient use it.
 */
export function clipFromSquares(sums: ArrayLike<number>, maxNorm: number): { norm: number; factor: number } {
  checkMaxNorm(maxNorm);
  let total = 0;
  for (let p = 0; p < sums.length; p++) total = f32(total + f32(sums[p] as number));
  return clipOfTotal(total, maxNorm);
}

function checkMaxNorm(maxNorm: number): void {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new ContractError('gradientClip', `must be a positive number, got ${maxNorm}`);
}

function clipOfTotal(total: number, maxNorm: number): { norm: number; factor: number } {
  const norm = f32(Math.sqrt(total));
  return { norm, factor: Math.min(1, f32(f32(maxNorm) / f32(norm + f32(1e-6)))) };
}

/** Sum of squares of every gradient value, with the float32 roundings of square, sum and addN. */
async function hostSquaredSum(grads: ReadonlyMap<string, tf.Tensor>): Promise<number> {
  let total = 0;
  for (const values of await Promise.all([...grads.values()].map((g) => g.data()))) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += f32((values[i] as number) * (values[i] as number));
    total = f32(total + f32(sum));
  }
  return total;
}

/** Sum of squares of every gradient value, reduced on the backend's device. */
async function deviceSquaredSum(grads: ReadonlyMap<string, tf.Tensor>): Promise<number> {
  return takeScalar(tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (gradientClip's factor). Returns new
 * gradient tensors (the caller disposes them and the inputs) and the norm before clipping as a scalar tensor.
 */
export async function clipGradNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): Promise<{ grads: Map<string, tf.Tensor>; norm: tf.Scalar }> {
  const { norm, factor } = await gradientClip(grads, maxNorm);
  return {
    norm: tf.scalar(norm),
    grads: new Map([...grads].map(([name, g]) => [name, tf.mul(g, factor)])),
  };
}
