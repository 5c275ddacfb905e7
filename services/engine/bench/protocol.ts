import type { BenchConfig } from './configs.js';
import type { KernelTime } from './kernel-profile.js';
import type { TimingSummary } from './timing.js';

/** What main.ts asks a worker to do. */
export interface WorkerJob {
  /** Directory of the engine's src (the working tree's or a --compare checkout's). */
  engineSrc: string;
  backend: string;
  /** Only start the backend and report it. */
  probe?: boolean;
  config?: BenchConfig;
  profile?: boolean;
  /** Engine threads (data parallelism); 1 runs on the worker's own thread. */
  threads?: number;
}

/** What a worker reports. */
export interface WorkerResult {
  backend: {
    name: string;
    tfBackend: string;
    device: string;
    versions: Record<string, string>;
    /** The WebGPU adapter (webgpu). */
    adapter?: { vendor: string; architecture: string; description: string; software: boolean };
  };
  timing?: TimingSummary;
  imagesPerSecond?: number;
  details?: Record<string, number>;
  /** Tensors left behind by the configuration (should be 0). */
  leakedTensors?: number;
  /** Peak of the backend's memory (wasm heap bytes, when the backend tells). */
  heapBytes?: number;
  kernels?: KernelTime[];
  /** Trainable parameters of the network measured (compared with the reference's). */
  parameters?: number;
  /** Engine threads the measurement ran on (1: in the worker's own thread). */
  threads?: number;
  /** Peak resident set size of the measuring process (its engine threads included). */
  peakRssBytes?: number;
}

export const RESULT_MARKER = 'BENCH_RESULT ';
