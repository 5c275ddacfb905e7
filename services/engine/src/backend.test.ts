import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpuDeviceFrom } from './backend.js';

const listing = 'NVIDIA A100-SXM4-40GB\nNVIDIA GeForce RTX 3090\n';

test('the GPU in use is named from nvidia-smi, following CUDA_VISIBLE_DEVICES', () => {
  assert.equal(gpuDeviceFrom(listing), 'GPU 0: NVIDIA A100-SXM4-40GB');
  assert.equal(gpuDeviceFrom(listing, '1,0'), 'GPU 1: NVIDIA GeForce RTX 3090');
  // UUIDs cannot be matched to the listing by index: the first GPU is named.
  assert.equal(gpuDeviceFrom(listing, 'GPU-8f6c'), 'GPU 0: NVIDIA A100-SXM4-40GB');
  assert.equal(gpuDeviceFrom(listing, '7'), 'GPU', 'an index nvidia-smi does not list');
  assert.equal(gpuDeviceFrom(''), 'GPU');
});
