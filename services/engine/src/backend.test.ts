import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adapterLabel, backendLabel, describeAdapter, gpuDeviceFrom, parseBackendName } from './backend.js';

const listing = 'NVIDIA A100-SXM4-40GB\nNVIDIA GeForce RTX 3090\n';

test('the GPU in use is named from nvidia-smi, following CUDA_VISIBLE_DEVICES', () => {
  assert.equal(gpuDeviceFrom(listing), 'GPU 0: NVIDIA A100-SXM4-40GB');
  assert.equal(gpuDeviceFrom(listing, '1,0'), 'GPU 1: NVIDIA GeForce RTX 3090');
  // UUIDs cannot be matched to the listing by index: the first GPU is named.
  assert.equal(gpuDeviceFrom(listing, 'GPU-8f6c'), 'GPU 0: NVIDIA A100-SXM4-40GB');
  assert.equal(gpuDeviceFrom(listing, '7'), 'GPU', 'an index nvidia-smi does not list');
  assert.equal(gpuDeviceFrom(''), 'GPU');
});

test('a WebGPU adapter is software when Dawn flags it a fallback or its driver is a CPU one', () => {
  const lavapipe = describeAdapter({
    vendor: 'mesa',
    architecture: 'software',
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
    isFallbackAdapter: true,
  });
  assert.equal(lavapipe.software, true);
  assert.equal(adapterLabel(lavapipe), 'mesa software (llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1)');
  assert.equal(describeAdapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }).software, true);
  const h100 = describeAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' });
  assert.deepEqual(h100, {
    vendor: 'nvidia',
    architecture: 'hopper',
    description: 'NVIDIA H100 80GB HBM3',
    software: false,
  });
  assert.equal(adapterLabel(h100), 'nvidia hopper (NVIDIA H100 80GB HBM3)');
});

test('runs record the backend with the adapter, within the 32 characters the databases keep', () => {
  assert.equal(backendLabel({ name: 'wasm' }), 'wasm');
  const adapter = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', software: false };
  assert.equal(backendLabel({ name: 'webgpu', adapter }), 'webgpu/nvidia hopper');
  const long = { ...adapter, vendor: 'a-very-long-vendor-name', architecture: 'and-architecture' };
  assert.equal(backendLabel({ name: 'webgpu', adapter: long }).length, 32);
});

test('LRNAS_BACKEND accepts webgpu', () => {
  assert.equal(parseBackendName('webgpu'), 'webgpu');
  assert.equal(parseBackendName('auto'), undefined);
  assert.throws(() => parseBackendName('gpu'), /one of auto, node-gpu, webgpu, node, wasm, cpu/);
});
