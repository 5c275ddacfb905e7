import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { registerMissingKernels } from './kernels/index.js';

/** Compute backends in order of preference. */
export const BACKENDS = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend the engine computes on, as reported to users and on the leaderboard. */
export interface BackendInfo {
  name: BackendName;
  /** TF.js's own name of the active backend (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** `GPU`, `CPU (libtensorflow)`, `CPU (wasm, SIMD)`... */
  device: string;
  versions: Record<string, string>;
}

/** Thrown when LRNAS_BACKEND names a backend that cannot start here. */
export class BackendUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';
}

/** Packages a deployment may install; they are not dependencies (their install downloads libtensorflow). */
const NODE_PACKAGES: Record<'node-gpu' | 'node', string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

let active: BackendInfo | undefined;

/**
 * Starts the best available backend (or `force`, else the LRNAS_BACKEND variable) and reports it.
 * Later calls return the backend already chosen.
 */
export async function initBackend(force: string | undefined = process.env.LRNAS_BACKEND): Promise<BackendInfo> {
  if (active) return active;
  const wanted = parseBackendName(force);
  const failures: string[] = [];
  for (const name of wanted ? [wanted] : BACKENDS) {
    try {
      active = await tryBackend(name);
      registerMissingKernels(active.tfBackend);
      return active;
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new BackendUnavailableError(`no usable TF.js backend (${failures.join('; ')})`);
}

/** Validates a backend name from configuration; undefined or empty means "choose". */
export function parseBackendName(text: string | undefined): BackendName | undefined {
  if (text === undefined || text === '' || text === 'auto') return undefined;
  if ((BACKENDS as readonly string[]).includes(text)) return text as BackendName;
  throw new BackendUnavailableError(
    `LRNAS_BACKEND must be one of auto, ${BACKENDS.join(', ')}; got ${JSON.stringify(text)}`,
  );
}

async function tryBackend(name: BackendName): Promise<BackendInfo> {
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core };
  switch (name) {
    case 'node-gpu':
    case 'node': {
      // Loaded by name at run time: absent here, present in the GPU worker image.
      const pkg = NODE_PACKAGES[name];
      const mod = (await import(pkg)) as { version?: Record<string, string> };
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} did not register its backend`);
      const gpu = name === 'node-gpu' && hasGpuDevice();
      if (name === 'node-gpu' && !gpu) throw new Error('no GPU device is usable');
      versions[pkg.replace('@tensorflow/', '')] = mod.version?.['tfjs-node'] ?? 'unknown';
      return { name, tfBackend: 'tensorflow', device: gpu ? gpuDevice() : 'CPU (libtensorflow)', versions };
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
      await tf.ready();
      versions['tfjs-backend-wasm'] = wasm.version_wasm;
      const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      return { name, tfBackend: 'wasm', device: `CPU (wasm${simd ? ', SIMD' : ''})`, versions };
    }
    case 'cpu': {
      const cpu = await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
      versions['tfjs-backend-cpu'] = cpu.version_cpu;
      return { name, tfBackend: 'cpu', device: 'CPU (pure JavaScript)', versions };
    }
  }
}

/** libtensorflow lists its devices in the backend's binding; a GPU build without CUDA has none. */
function hasGpuDevice(): boolean {
  const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: boolean | (() => boolean) } };
  const probe = backend.binding?.isUsingGpuDevice;
  return typeof probe === 'function' ? probe.call(backend.binding) : Boolean(probe);
}

/** The GPU TensorFlow runs on, by name as nvidia-smi gives it; plain "GPU" when it cannot tell. */
function gpuDevice(): string {
  try {
    const listing = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return gpuDeviceFrom(listing, process.env.CUDA_VISIBLE_DEVICES);
  } catch {
    return 'GPU';
  }
}

/**
 * Names the GPU TensorFlow uses from nvidia-smi's list of names (one per line, in PCI order):
 * the first of CUDA_VISIBLE_DEVICES when that lists indices, else the first GPU.
 */
export function gpuDeviceFrom(listing: string, visibleDevices?: string): string {
  const names = listing
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const first = visibleDevices?.split(',')[0]?.trim();
  const index = first !== undefined && /^\d+$/.test(first) ? Number(first) : 0;
  const name = names[index];
  return name ? `GPU ${index}: ${name}` : 'GPU';
}
