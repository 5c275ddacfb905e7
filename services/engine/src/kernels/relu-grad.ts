import * as tf from '@tensorflow/tfjs-core';
import { wasmBackend } from './wasm-heap.js';
import { pointers, simdKernels } from './wasm-simd.js';

/** dy, y = relu(x) -> dy where y > 0, else 0. */
export const RELU_GRAD = 'EngineReluGrad';

/**
 * ReLU's input gradient from its output as one kernel (one pass, no mask tensor), where mul(dy, step(y)) ran two:
 * every convolution of the networks is preceded by a ReLU. Masked elements are +0 (the product gave -0 for a
 * negative dy, NaN for a NaN dy). Without the kernel on the active backend, the two ops.
 */
export function reluGrad(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (!tf.getKernel(RELU_GRAD, tf.getBackend())) return tf.mul(dy, tf.step(y));
  return tf.engine().runKernel(RELU_GRAD, { dy, y });
}

function check(dy: tf.TensorInfo | undefined, y: tf.TensorInfo | undefined): [tf.TensorInfo, tf.TensorInfo] {
  if (!dy || !y) throw new Error(`${RELU_GRAD} needs dy and y`);
  if (dy.dtype !== 'float32' || y.dtype !== 'float32') throw new Error(`${RELU_GRAD} takes float32 tensors`);
  if (dy.shape.join() !== y.shape.join()) throw new Error(`${RELU_GRAD}: dy [${dy.shape}] and y [${y.shape}] differ`);
  return [dy, y];
}

/** On cpu: a loop over the backend's arrays. */
export const cpuReluGradKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: RELU_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const [dy, y] = check(inputs.dy, inputs.y);
    const cpu = backend as unknown as {
      data: { get(id: object): { values: unknown } };
      makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo;
    };
    const [ds, ys] = [dy, y].map((t) => cpu.data.get(t.dataId).values as Float32Array) as [Float32Array, Float32Array];
    const dx = new Float32Array(ds.length);
    for (let i = 0; i < ds.length; i++) dx[i] = (ys[i] as number) > 0 ? (ds[i] as number) : 0;
    return cpu.makeTensorInfo(dy.shape, 'float32', dx);
  },
};

/** On wasm: one SIMD pass over the heap (wasm/kernels.ts reluGrad). */
export const wasmReluGradKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: RELU_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const [dy, y] = check(inputs.dy, inputs.y);
    const wasm = wasmBackend(backend);
    const dx = wasm.makeOutput(dy.shape, 'float32');
    const [pdy, py, pdx] = pointers(wasm, dy, y, dx) as [number, number, number];
    simdKernels(wasm).reluGrad(pdy, py, pdx, tf.util.sizeFromShape(dy.shape));
    return dx;
  },
};
