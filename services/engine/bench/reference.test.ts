import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { EvalNetwork } from '../src/nn/network.js';
import { Supernet } from '../src/search/supernet.js';
import { NETWORKS, planConfigs } from './configs.js';
import { LRNAS_C10 } from './genotype.js';
import { parseBenchOptions } from './options.js';
import { findPythonTorch, PYTHON_ENV, referenceDevice, referenceParameterCounts } from './reference.js';
import { parameterCount } from './workloads.js';

test('an interpreter named by the override that lacks torch is reported, not replaced by another', () => {
  const found = findPythonTorch({ [PYTHON_ENV]: '/nonexistent/python3' });
  assert.ok('missing' in found);
  assert.match(found.missing, /\/nonexistent\/python3/);
});

test('--reference accepts only pytorch, and --threads a positive count', () => {
  assert.equal(parseBenchOptions(['--reference', 'pytorch']).reference, 'pytorch');
  assert.equal(parseBenchOptions([]).reference, undefined);
  assert.throws(() => parseBenchOptions(['--reference', 'jax']), /--reference must be pytorch/);
  assert.equal(parseBenchOptions(['--threads', '3']).threads, 3);
  assert.throws(() => parseBenchOptions(['--threads', '0']), /--threads must be at least 1/);
});

// The yardstick is only meaningful if PyTorch builds the same networks: their parameter counts must match.
test('PyTorch networks of every workload have the engine networks parameter counts', async (t) => {
  const found = findPythonTorch();
  if ('missing' in found) {
    t.skip(found.missing);
    return;
  }
  await tf.setBackend('cpu');
  const options = parseBenchOptions([]);
  const configs = planConfigs(options, 'wasm').configs.filter(
    (c, i, all) => c.workload.kind !== 'attack' && all.findIndex((d) => d.network === c.network) === i,
  );
  assert.ok(configs.length >= 5, 'every network of the benchmark is covered');
  const theirs = referenceParameterCounts(found.python, configs, LRNAS_C10);
  const ours = configs.map((c) => {
    const s = NETWORKS[c.network];
    const shape = { channels: s.channels, layers: s.layers, classes: 10, inputChannels: s.inputChannels };
    const net = c.network.startsWith('supernet-') ? new Supernet(shape) : new EvalNetwork(LRNAS_C10, shape);
    try {
      return parameterCount(net);
    } finally {
      net.dispose();
    }
  });
  assert.deepEqual(theirs, ours);
});

test('PyTorch measures on CUDA only beside a GPU backend (node-gpu, webgpu on a hardware adapter) where torch has one', () => {
  const withCuda = { python: 'python3', torch: '2.5', cuda: 'NVIDIA H100 80GB HBM3' };
  const hardware = { vendor: 'nvidia', architecture: 'hopper', description: 'H100', software: false };
  assert.equal(referenceDevice(withCuda, { name: 'webgpu', adapter: hardware }), 'cuda');
  assert.equal(referenceDevice(withCuda, { name: 'node-gpu' }), 'cuda');
  assert.equal(referenceDevice(withCuda, { name: 'webgpu', adapter: { ...hardware, software: true } }), 'cpu');
  assert.equal(referenceDevice(withCuda, { name: 'wasm' }), 'cpu');
  assert.equal(referenceDevice({ python: 'python3', torch: '2.5' }, { name: 'webgpu', adapter: hardware }), 'cpu');
});
