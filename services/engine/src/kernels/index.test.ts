import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from './grad-check.js';
import { registerMissingKernels } from './index.js';

test('registerMissingKernels is idempotent and puts our kernels and gradients in place', async () => {
  await useBackend('wasm');
  const kernel = tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm');
  const gradient = tf.getGradient('AvgPool');
  registerMissingKernels('wasm');
  registerMissingKernels('wasm');
  assert.ok(kernel, 'wasm has a DepthwiseConv2dNativeBackpropFilter kernel');
  assert.equal(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')?.kernelFunc, kernel.kernelFunc);
  assert.equal(tf.getGradient('AvgPool'), gradient);
});

test('on cpu and wasm our gradients replace foreign ones; elsewhere foreign ones stay', async () => {
  await useBackend('cpu');
  const ours = tf.getGradient('AvgPool');
  const foreign: tf.GradConfig = { kernelName: 'AvgPool', gradFunc: () => ({}) };
  const swap = (config: tf.GradConfig): void => {
    tf.unregisterGradient('AvgPool');
    tf.registerGradient(config);
  };
  try {
    swap(foreign);
    registerMissingKernels('tensorflow');
    assert.equal(tf.getGradient('AvgPool'), foreign, 'another backend keeps the registered gradient');
    registerMissingKernels('cpu');
    assert.equal(tf.getGradient('AvgPool'), ours, 'cpu gets ours back');
  } finally {
    swap(ours);
  }
});
