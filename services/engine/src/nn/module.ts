import * as tf from '@tensorflow/tfjs-core';
import { seedFromName } from '../random.js';
import type { Initializer } from './init.js';

/** What a forward pass needs besides its input. */
export interface ForwardContext {
  /** Training mode: BN uses and updates batch statistics; drop-path is active. */
  training: boolean;
  /** Probability of dropping a cell edge's output per sample (training only); 0 or absent disables it. */
  dropPathProb?: number;
  /** Source of uniform numbers in [0, 1) for drop-path masks; Math.random when absent. */
  random?: () => number;
  /**
   * Outside training only: non-affine BNs (the supernet's) normalise each of this many equal, consecutive groups of
   * the batch with that group's own statistics, and leave the running averages alone. Contribution estimation
   * measures masked supernets this way, one group per (mask, clean or adversarial batch), as a supernet in
   * training mode would see each batch on its own.
   */
  batchStatisticGroups?: number;
}

/** Whether a variable is trained (a parameter) or state that training updates otherwise (a buffer). */
export type VariableKind = 'parameter' | 'buffer';

/**
 * A declared variable of a module. Declaring it allocates nothing; the root module's
 * `initialize(seed)` creates the tensor.
 */
export class VariableSlot {
  #variable: tf.Variable | undefined;

  constructor(
    readonly localName: string,
    readonly kind: VariableKind,
    readonly shape: readonly number[],
    readonly init: Initializer,
  ) {}

  /** Number of scalars. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The variable; throws when the owning network has not been initialised. */
  get value(): tf.Variable {
    if (!this.#variable) {
      throw new Error(`variable "${this.localName}" is not initialised: call initialize(seed) on the root module`);
    }
    return this.#variable;
  }

  get initialized(): boolean {
    return this.#variable !== undefined;
  }

  /** Creates (or re-creates) the variable from the initialiser. */
  create(seed: number): void {
    this.dispose();
    const initial = this.init(this.shape, seed);
    this.#variable = tf.variable(initial, this.kind === 'parameter');
    initial.dispose();
  }

  dispose(): void {
    this.#variable?.dispose();
    this.#variable = undefined;
  }
}

/** A named variable of a module tree, e.g. `cells.3.ops.1.op.2.weight`. */
export interface NamedSlot {
  name: string;
  slot: VariableSlot;
}

const NAME = /^[A-Za-z0-9_]+$/;

/**
 * Base of every network part: named child modules and named variables (parameters and buffers),
 * PyTorch-style. Hierarchical names join the registration names with dots.
 */
export class Module {
  readonly #children = new Map<string, Module>();
  readonly #slots = new Map<string, VariableSlot>();

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, child: M): M {
    this.#claim(name);
    this.#children.set(name, child);
    return child;
  }

  /** Declares a trainable variable. */
  protected addParameter(name: string, shape: readonly number[], init: Initializer): VariableSlot {
    return this.#addSlot(name, 'parameter', shape, init);
  }

  /** Declares a non-trainable variable (state such as BN running statistics). */
  protected addBuffer(name: string, shape: readonly number[], init: Initializer): VariableSlot {
    return this.#addSlot(name, 'buffer', shape, init);
  }

  #addSlot(name: string, kind: VariableKind, shape: readonly number[], init: Initializer): VariableSlot {
    this.#claim(name);
    if (!shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`variable "${name}" has an invalid shape [${shape.join(', ')}]`);
    }
    const slot = new VariableSlot(name, kind, [...shape], init);
    this.#slots.set(name, slot);
    return slot;
  }

  #claim(name: string): void {
    if (!NAME.test(name)) throw new Error(`invalid module or variable name ${JSON.stringify(name)}`);
    if (this.#children.has(name) || this.#slots.has(name)) throw new Error(`name "${name}" is already used`);
  }

  /** Direct children in registration order. */
  namedChildren(): Array<[string, Module]> {
    return [...this.#children];
  }

  /** This module and all descendants with their hierarchical names ('' for this one), depth first. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.#children) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  /** Every declared variable of the tree with its hierarchical name: own variables first, then children's. */
  namedSlots(): NamedSlot[] {
    const out: NamedSlot[] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, slot] of module.#slots) out.push({ name: join(prefix, name), slot });
    }
    return out;
  }

  /** Trainable variables with their hierarchical names. */
  namedParameters(): Array<[string, tf.Variable]> {
    return this.#named('parameter');
  }

  /** Trainable variables (for optimisers and gradients). */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Non-trainable state (BN running mean and variance) with hierarchical names. */
  namedBuffers(): Array<[string, tf.Variable]> {
    return this.#named('buffer');
  }

  /** Non-trainable state variables. */
  buffers(): tf.Variable[] {
    return this.namedBuffers().map(([, v]) => v);
  }

  /** Parameters and buffers, the full state of the network (what a checkpoint stores). */
  namedVariables(): Array<[string, tf.Variable]> {
    return this.namedSlots().map(({ name, slot }) => [name, slot.value]);
  }

  #named(kind: VariableKind): Array<[string, tf.Variable]> {
    return this.namedSlots()
      .filter(({ slot }) => slot.kind === kind)
      .map(({ name, slot }) => [name, slot.value]);
  }

  /** Number of trainable scalars, from the declared shapes (needs no initialisation). */
  parameterCount(): number {
    return this.namedSlots().reduce((n, { slot }) => n + (slot.kind === 'parameter' ? slot.size : 0), 0);
  }

  /** Whether every variable of the tree exists. */
  get initialized(): boolean {
    return this.namedSlots().every(({ slot }) => slot.initialized);
  }

  /**
   * Creates every variable of the tree (disposing earlier values). Each variable's seed is derived
   * from `seed` and its hierarchical name, so the same seed gives the same weights.
   */
  initialize(seed: number): this {
    if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
    for (const { name, slot } of this.namedSlots()) slot.create(seedFromName(seed, name));
    return this;
  }

  /**
   * Copies values into the variables by hierarchical name. Every variable must be given, with its
   * exact shape; unknown names are an error. The given tensors are not disposed.
   */
  loadState(values: ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>): void {
    const map = values instanceof Map ? values : new Map(Object.entries(values));
    const slots = this.namedSlots();
    const known = new Set(slots.map(({ name }) => name));
    const unknown = [...map.keys()].filter((name) => !known.has(name));
    if (unknown.length > 0) throw new Error(`unknown variables: ${unknown.slice(0, 5).join(', ')}`);
    for (const { name, slot } of slots) {
      const value = map.get(name);
      if (!value) throw new Error(`missing variable ${name}`);
      if (!tf.util.arraysEqual(value.shape, slot.shape as number[])) {
        throw new Error(`variable ${name} has shape [${slot.shape.join(', ')}], got [${value.shape.join(', ')}]`);
      }
    }
    for (const { name, slot } of slots) {
      if (!slot.initialized) slot.create(0);
      const value = map.get(name) as tf.Tensor;
      // Assigning a variable its own data would free that data first.
      if (value.dataId === slot.value.dataId) continue;
      tf.tidy(() => slot.value.assign(value.dtype === 'float32' ? value : tf.cast(value, 'float32')));
    }
  }

  /** Frees every variable of the tree; the module must be initialised again before use. */
  dispose(): void {
    for (const { slot } of this.namedSlots()) slot.dispose();
  }
}

/** A module mapping one NHWC tensor to one NHWC tensor. */
export abstract class Layer extends Module {
  /** Forward pass; returns a new tensor (Identity returns its input) and leaks no intermediates. */
  abstract forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D;

  /** This layer and `next` as one computation, when the pair allows it (Sequential then skips `next`); else undefined. */
  fuseForward(_next: Layer | undefined, _x: tf.Tensor4D, _ctx: ForwardContext): tf.Tensor4D | undefined {
    return undefined;
  }
}

/** Layers applied in order, registered as `0`, `1`, ... (the names of PyTorch's nn.Sequential). */
export class Sequential extends Layer {
  readonly layers: readonly Layer[];

  constructor(layers: readonly Layer[]) {
    super();
    this.layers = layers.map((layer, i) => this.addModule(String(i), layer));
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return this.forwardFrom(0, x, ctx);
  }

  /** The forward pass of layers `start`.. only (`x` is what layer `start` reads). */
  forwardFrom(start: number, x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      for (let i = start; i < this.layers.length; i++) {
        const layer = this.layers[i] as Layer;
        const fused = layer.fuseForward(this.layers[i + 1], h, ctx);
        if (fused) i += 1;
        h = fused ?? layer.forward(h, ctx);
      }
      return h;
    });
  }
}

/** Modules registered as `0`, `1`, ... (PyTorch's nn.ModuleList): names a list without running it. */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: readonly M[]) {
    super();
    this.items = items.map((item, i) => this.addModule(String(i), item));
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}
