import * as tf from '@tensorflow/tfjs-core';
import { at, grad, one, unbroadcast } from './gradients/util.js';
import { heapFloats, wasmBackend } from './wasm-heap.js';
import { PeriodicLanes, pointers, simdKernels } from './wasm-simd.js';

/** The engine's kernel x * scale + shift with per-channel (broadcast) scale and shift. */
export const CHANNEL_AFFINE = 'EngineChannelAffine';

/**
 * x * scale + shift (scale and shift broadcast against x, e.g. per channel), differentiable in all three. As one
 * kernel it keeps only x and the factors for backprop, where a multiply and an add keep x, the product and both
 * factors: inference-mode batch norm in an attack's input gradient needed twice the memory of training mode.
 */
export function channelAffine<T extends tf.Tensor>(x: T, scale: tf.Tensor, shift: tf.Tensor): T {
  if (!tf.getKernel(CHANNEL_AFFINE, tf.getBackend())) return tf.add(tf.mul(x, scale), shift) as T;
  return tf.engine().runKernel(CHANNEL_AFFINE, { x, scale, shift }) as T;
}

/** The kernel, composed of the backend's own multiply and add (so it runs on every backend). */
export const channelAffineKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: CHANNEL_AFFINE,
  kernelFunc: ({ inputs }) => {
    const { x, scale, shift } = inputs as Record<string, tf.Tensor>;
    if (!x || !scale || !shift) throw new Error(`${CHANNEL_AFFINE} needs x, scale and shift`);
    return tf.tidy(() => tf.add(tf.mul(x, scale), shift));
  },
};

/**
 * On wasm, with per-channel scale and shift (C values each, the last axis; inference-mode batch norm), one SIMD
 * pass over the heap (wasm/kernels.ts periodicAffine) where the multiply and the add took two; it rounds the
 * product and then the sum to float32 as they do, so the values are the same. Other broadcasts take the composed
 * kernel.
 */
export const wasmChannelAffineKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: CHANNEL_AFFINE,
  kernelFunc: (args) => {
    const { x, scale, shift } = args.inputs as Record<string, tf.Tensor>;
    if (!x || !scale || !shift) throw new Error(`${CHANNEL_AFFINE} needs x, scale and shift`);
    const channels = x.shape[x.rank - 1] ?? 0;
    const perChannel = (t: tf.Tensor): boolean =>
      t.size === channels && t.rank <= x.rank && t.shape[t.rank - 1] === channels && t.dtype === 'float32';
    if (x.dtype !== 'float32' || x.rank < 1 || channels === 0 || !perChannel(scale) || !perChannel(shift)) {
      return channelAffineKernel.kernelFunc(args);
    }
    const wasm = wasmBackend(args.backend);
    const y = wasm.makeOutput(x.shape, 'float32');
    const lanes = new PeriodicLanes(wasm, channels);
    lanes.setPattern(0, heapFloats(wasm, scale));
    lanes.setPattern(2, heapFloats(wasm, shift));
    const [px, py] = pointers(wasm, x, y) as [number, number];
    const [pA, , pC] = lanes.patterns;
    simdKernels(wasm).periodicAffine(px, 0, py, pA, pA, pC, x.size, lanes.period);
    lanes.dispose();
    return y;
  },
};

/** Its gradient: dx = dy * scale, dscale = dy * x and dshift = dy, each summed over the broadcast axes. */
export const channelAffineGradient: tf.GradConfig = grad({
  kernelName: CHANNEL_AFFINE,
  // The shift is saved for its shape only (it is per channel, so small).
  inputsToSave: ['x', 'scale', 'shift'],
  gradFunc: (dy, saved) => {
    const [x, scale, shift, d] = [at(saved, 0), at(saved, 1), at(saved, 2), one(dy)];
    return {
      x: () => unbroadcast(tf.mul(d, scale), x.shape),
      scale: () => unbroadcast(tf.mul(d, x), scale.shape),
      shift: () => unbroadcast(d, shift.shape),
    };
  },
});
