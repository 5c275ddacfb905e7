/*
 * The WebGPU backend in Node: Dawn (npm `webgpu`, shipped inside the package) provides `navigator.gpu`, and
 * @tensorflow/tfjs-backend-webgpu computes on it. Dawn drives a GPU through Vulkan (NVIDIA, AMD, Intel: no CUDA
 * version to match) or, with Mesa's lavapipe, the CPU: a software adapter that is right but slow, so it is only
 * used when asked for.
 */

import { createRequire } from 'node:module';

/** The WebGPU adapter a backend computes on, as Dawn describes it. */
export interface GpuAdapter {
  /** `nvidia`, `amd`, `intel`, `mesa`... */
  vendor: string;
  /** `hopper`, `rdna-3`, `software`... (may be empty). */
  architecture: string;
  /** The driver's own name of the device, e.g. `NVIDIA H100 80GB HBM3` or `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** True for a CPU implementation (lavapipe, SwiftShader, WARP). */
  software: boolean;
}

/** The part of WebGPU's API used here (the engine does not depend on @webgpu/types). */
interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GPU {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<{
    info: AdapterInfo;
    isFallbackAdapter?: boolean;
  } | null>;
}
interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

let gpu: GPU | undefined;

/** Loads Dawn once and installs `navigator.gpu` and the WebGPU globals (GPUBufferUsage...) TF.js's backend uses. */
async function dawn(): Promise<GPU> {
  if (gpu) return gpu;
  const mod = (await import('webgpu')) as unknown as DawnModule;
  const created = mod.create([]);
  for (const [key, value] of Object.entries(mod.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  // Node 20 has no navigator; Node 21+ has one without `gpu`.
  const g = globalThis as { navigator?: object };
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  if (!('gpu' in (g.navigator as object))) {
    Object.defineProperty(g.navigator, 'gpu', { value: created, configurable: true });
  }
  gpu = (g.navigator as { gpu: GPU }).gpu;
  return gpu;
}

/** Hints that the Vulkan driver is a CPU implementation, for drivers that do not flag it as a fallback adapter. */
const SOFTWARE = /llvmpipe|lavapipe|swiftshader|softpipe|microsoft basic render/i;

/** Describes an adapter from its GPUAdapterInfo fields (pure, for tests). */
export function describeAdapter(info: AdapterInfo): GpuAdapter {
  const [vendor, architecture, description] = [info.vendor, info.architecture, info.description].map((s) =>
    (s ?? '').trim(),
  ) as [string, string, string];
  const software =
    info.isFallbackAdapter === true ||
    architecture === 'software' ||
    SOFTWARE.test(`${description} ${info.device ?? ''}`);
  return { vendor, architecture, description: description || (info.device ?? '').trim(), software };
}

/** One line naming the adapter, e.g. `nvidia hopper (NVIDIA H100 80GB HBM3)` or `mesa software (llvmpipe: ...)`. */
export function adapterLabel(adapter: GpuAdapter): string {
  const head = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  return adapter.description ? `${head} (${adapter.description})` : head;
}

/**
 * The adapter TF.js's webgpu backend will get (it asks for high performance, as here), or an error saying why
 * there is none: no Dawn build for this platform, or no Vulkan driver.
 */
export async function probeAdapter(): Promise<GpuAdapter> {
  const adapter = await (await dawn()).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter: Vulkan finds no driver (a GPU driver with its Vulkan ICD and libvulkan1, or Mesa 25 ' +
        'from bookworm-backports for the software adapter: apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1)',
    );
  }
  // GPUAdapterInfo's fields are getters: read them one by one. Older Dawn flags fallback on the adapter.
  const info = adapter.info;
  return describeAdapter({
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
  });
}

/** Registers TF.js's webgpu backend (its import registers it only where `navigator.gpu` exists); its version. */
export async function loadWebgpuBackend(): Promise<string> {
  await dawn();
  await import('@tensorflow/tfjs-backend-webgpu');
  const pkg = createRequire(import.meta.url)('@tensorflow/tfjs-backend-webgpu/package.json') as { version?: string };
  return pkg.version ?? 'unknown';
}
