import * as tf from '@tensorflow/tfjs-core';

/** Time spent in one kernel name: calls and milliseconds excluding the kernels it called itself. */
export interface KernelTime {
  kernel: string;
  calls: number;
  exclusiveMs: number;
}

/**
 * Times every kernel of a backend by wrapping its registered function, keeping a stack so that a kernel
 * composed of other kernels (the engine supplies several) is charged only for its own work. Call after
 * every kernel the run needs is registered; `stop` restores the original functions.
 */
export class KernelProfiler {
  readonly #originals: tf.KernelConfig[] = [];
  readonly #times = new Map<string, { calls: number; ms: number }>();
  readonly #childMs: number[] = [];
  readonly #names: string[] = [];
  #enabled = false;

  constructor(readonly backendName: string) {
    for (const config of tf.getKernelsForBackend(backendName)) {
      this.#originals.push(config);
      const inner = config.kernelFunc;
      const wrapped: tf.KernelFunc = (args) => {
        if (!this.#enabled) return inner(args);
        // A kernel called by another is listed as `Outer>Inner`, so composed kernels show their parts.
        const outer = this.#names[this.#names.length - 1];
        const key = outer ? `${outer.split('>')[0]}>${config.kernelName}` : config.kernelName;
        this.#names.push(key);
        this.#childMs.push(0);
        const start = performance.now();
        try {
          return inner(args);
        } finally {
          const elapsed = performance.now() - start;
          const children = this.#childMs.pop() ?? 0;
          this.#names.pop();
          const depth = this.#childMs.length;
          if (depth > 0) this.#childMs[depth - 1] = (this.#childMs[depth - 1] ?? 0) + elapsed;
          const entry = this.#times.get(key) ?? { calls: 0, ms: 0 };
          entry.calls++;
          entry.ms += elapsed - children;
          this.#times.set(key, entry);
        }
      };
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel({ ...config, kernelFunc: wrapped });
    }
  }

  /** Starts (or resumes) recording. */
  start(): void {
    this.#enabled = true;
  }

  /** Pauses recording. */
  pause(): void {
    this.#enabled = false;
  }

  /** Kernels by exclusive time, longest first. */
  report(): KernelTime[] {
    return [...this.#times]
      .map(([kernel, { calls, ms }]) => ({ kernel, calls, exclusiveMs: ms }))
      .sort((a, b) => b.exclusiveMs - a.exclusiveMs);
  }

  /** Restores the unwrapped kernels. */
  stop(): void {
    for (const config of this.#originals) {
      tf.unregisterKernel(config.kernelName, this.backendName);
      tf.registerKernel(config);
    }
    this.#enabled = false;
  }
}
