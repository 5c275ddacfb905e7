import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { adapterLabel, loadWebgpuBackend, probeAdapter, type GpuAdapter } from './backend-webgpu.js';
import { registerMissingKernels } from './kernels/index.js';

export { adapterLabel, describeAdapter, type GpuAdapter } from './backend-webgpu.js';

/**
 * Compute backends in order of preference. `webgpu` is chosen by itself only on a hardware adapter: lavapipe, the
 * software one, computes right but slower than wasm, so it runs only when asked for (LRNAS_BACKEND=webgpu).
 */
export const BACKENDS = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backend the engine computes on, as reported to users and on the leaderboard. */
export interface BackendInfo {
  name: BackendName;
  /** TF.js's own name of the active backend (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfBackend: string;
  /** `GPU`, `GPU (WebGPU: nvidia hopper (NVIDIA H100...))`, `CPU (libtensorflow)`, `CPU (wasm, SIMD)`... */
  device: string;
  versions: Record<string, string>;
  /** The WebGPU adapter (webgpu only). */
  adapter?: GpuAdapter;
}

/** Longest backend label a run or evaluation stores (the databases' column). */
const LABEL_MAX = 32;

/**
 * The backend as runs and evaluations record it: its name, with the adapter's vendor and architecture on webgpu
 * (`webgpu/nvidia hopper`, `webgpu/mesa software`), since a result's speed and bits depend on the adapter.
 */
export function backendLabel(info: { name: string; adapter?: GpuAdapter | undefined }): string {
  if (!info.adapter) return info.name;
  const adapter = [info.adapter.vendor, info.adapter.architecture].filter(Boolean).join(' ');
  return (adapter ? `${info.name}/${adapter}` : info.name).slice(0, LABEL_MAX);
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
      active = await tryBackend(name, wanted === name);
      registerMissingKernels(active.tfBackend);
      return active;
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new BackendUnavailableError(`no usable TF.js backend (${failures.join('; ')})`);
}

/** The backend initBackend chose, if it ran in this thread. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}

/** Validates a backend name from configuration; undefined or empty means "choose". */
export function parseBackendName(text: string | undefined): BackendName | undefined {
  if (text === undefined || text === '' || text === 'auto') return undefined;
  if ((BACKENDS as readonly string[]).includes(text)) return text as BackendName;
  throw new BackendUnavailableError(
    `LRNAS_BACKEND must be one of auto, ${BACKENDS.join(', ')}; got ${JSON.stringify(text)}`,
  );
}

async function tryBackend(name: BackendName, asked: boolean): Promise<BackendInfo> {
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
    case 'webgpu': {
      const adapter = await probeAdapter();
      if (adapter.software && !asked) {
        throw new Error(`only a software adapter (${adapterLabel(adapter)}); LRNAS_BACKEND=webgpu uses it`);
      }
      versions['tfjs-backend-webgpu'] = await loadWebgpuBackend();
      if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
      await tf.ready();
      return {
        name,
        tfBackend: 'webgpu',
        device: `${adapter.software ? 'CPU' : 'GPU'} (WebGPU: ${adapterLabel(adapter)})`.slice(0, 200),
        versions,
        adapter,
      };
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
