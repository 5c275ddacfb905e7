import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD } from './relu-grad.js';
import { RUNNING_STATS, SGD_STEP } from './small-steps.js';

/*
 * The engine's own kernels on the webgpu backend, as WGSL compute shaders run by TF.js's webgpu backend (its
 * runWebGPUProgram compiles, caches and dispatches them; inputs are bound as storage arrays named by
 * `variableNames`, the output through setOutputAtIndex). Each replaces several small dispatches of the composed
 * version, and on a GPU a dispatch, not the arithmetic, is what such a kernel costs. The depthwise gradients with
 * dilation 2 need no kernel here: depthwise-backprop.ts composes them of forward ops webgpu has.
 */

/** What runWebGPUProgram needs of a program (tfjs-backend-webgpu's WebGPUProgram). */
interface Program {
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  size: boolean;
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  shaderKey: string;
  getUserCode(): string;
}

interface WebgpuBackend {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: Array<{ type: 'float32' | 'int32'; data: number[] }>,
  ): tf.TensorInfo;
  device: { limits: { maxStorageBuffersPerShaderStage: number; maxComputeWorkgroupsPerDimension: number } };
}

const WORKGROUP = 64;

/**
 * A one-thread-per-element program over inputs of one shape: `body` reads inputs as A[index], B[index]... and
 * uniforms as uniforms.<name>, and calls setOutputAtIndex(index, value). Large outputs spread over y.
 */
function elementwise(key: string, shape: number[], inputs: number, body: string, uniforms = ''): Program {
  const size = tf.util.sizeFromShape(shape);
  const groups = Math.ceil(size / WORKGROUP);
  // 65535 workgroups per dimension is WebGPU's guaranteed limit.
  const x = Math.min(groups, 65535);
  const y = Math.ceil(groups / x);
  return {
    variableNames: ['A', 'B', 'C', 'D'].slice(0, inputs),
    ...(uniforms && { uniforms }),
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    outputShape: shape,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [x, y, 1],
    shaderKey: `lrnas_${key}`,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${body}
        }
      }`,
  };
}

/** Program uniforms, one field each (a field per entry, in the order of the program's `uniforms`). */
function floats(...values: number[]): Array<{ type: 'float32'; data: number[] }> {
  return values.map((v) => ({ type: 'float32', data: [v] }));
}

function float32(name: string, ...ts: Array<tf.TensorInfo | undefined>): tf.TensorInfo[] {
  const out: tf.TensorInfo[] = [];
  for (const t of ts) {
    if (!t) throw new Error(`${name}: an input is missing`);
    if (t.dtype !== 'float32') throw new Error(`${name} takes float32 tensors, got ${t.dtype}`);
    if (t.shape.join() !== (ts[0] as tf.TensorInfo).shape.join())
      throw new Error(`${name}: input shapes differ ([${t.shape}] and [${(ts[0] as tf.TensorInfo).shape}])`);
    out.push(t);
  }
  return out;
}

const reluGradKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: RELU_GRAD,
  kernelFunc: ({ inputs, backend }) => {
    const [dy, y] = float32(RELU_GRAD, inputs.dy, inputs.y) as [tf.TensorInfo, tf.TensorInfo];
    const program = elementwise(
      'relu_grad',
      dy.shape,
      2,
      'setOutputAtIndex(index, select(0.0, A[index], B[index] > 0.0));',
    );
    return (backend as unknown as WebgpuBackend).runWebGPUProgram(program, [dy, y], 'float32');
  },
};

const runningStatsKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: RUNNING_STATS,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { runningMean, runningVar, mean, variance } = inputs;
    const ins = float32(RUNNING_STATS, runningMean, runningVar, mean, variance);
    const { momentum, count } = attrs as unknown as { momentum: number; count: number };
    const gpu = backend as unknown as WebgpuBackend;
    const uniforms = 'keep : f32, take : f32, unbias : f32,';
    const data = floats(1 - momentum, momentum, count / (count - 1));
    // A shader binds only the inputs it reads: each program gets its two.
    const [rm, rv, m, v] = ins as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
    const newMean = elementwise(
      'running_mean',
      rm.shape,
      2,
      'setOutputAtIndex(index, A[index] * uniforms.keep + B[index] * uniforms.take);',
      uniforms,
    );
    const newVar = elementwise(
      'running_var',
      rm.shape,
      2,
      'setOutputAtIndex(index, A[index] * uniforms.keep + (B[index] * uniforms.unbias) * uniforms.take);',
      uniforms,
    );
    return [
      gpu.runWebGPUProgram(newMean, [rm, m], 'float32', data),
      gpu.runWebGPUProgram(newVar, [rv, v], 'float32', data),
    ];
  },
};

const sgdStepKernel: Omit<tf.KernelConfig, 'backendName'> = {
  kernelName: SGD_STEP,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { w, g, buf } = inputs;
    const ins = buf ? float32(SGD_STEP, w, g, buf) : float32(SGD_STEP, w, g);
    const {
      lr,
      momentum,
      weightDecay,
      gradScale = 1,
    } = attrs as unknown as {
      lr: number;
      momentum: number;
      weightDecay: number;
      gradScale?: number;
    };
    const gpu = backend as unknown as WebgpuBackend;
    const uniforms = 'lr : f32, momentum : f32, weightDecay : f32, gradScale : f32,';
    const data = floats(lr, momentum, weightDecay, gradScale);
    // The update d = g * gradScale + w * weightDecay, with momentum u = buf * momentum + d (u = d at the first step).
    const update = `let d = B[index] * uniforms.gradScale + A[index] * uniforms.weightDecay;
      let u = ${buf ? 'C[index] * uniforms.momentum + d' : 'd'};`;
    const shape = (ins[0] as tf.TensorInfo).shape;
    const key = buf ? 'buf' : 'nobuf';
    const weight = elementwise(
      `sgd_w_${key}`,
      shape,
      ins.length,
      `${update} setOutputAtIndex(index, A[index] - u * uniforms.lr);`,
      uniforms,
    );
    const outs = [gpu.runWebGPUProgram(weight, ins, 'float32', data)];
    if (momentum > 0) {
      const buffer = elementwise(
        `sgd_buf_${key}`,
        shape,
        ins.length,
        `${update} setOutputAtIndex(index, u);`,
        uniforms,
      );
      outs.push(gpu.runWebGPUProgram(buffer, ins, 'float32', data));
    }
    return outs;
  },
};

/**
 * AddN over more inputs than a shader may bind (maxStorageBuffersPerShaderStage, 8 on lavapipe, counting the
 * output): TF.js's webgpu AddN builds an invalid pipeline there, so the inputs are summed in groups that fit.
 */
function wrapAddN(native: tf.KernelFunc): Omit<tf.KernelConfig, 'backendName'> {
  return {
    kernelName: 'AddN',
    kernelFunc: (args) => {
      const gpu = args.backend as unknown as WebgpuBackend;
      const most = Math.max(2, gpu.device.limits.maxStorageBuffersPerShaderStage - 1);
      let parts = args.inputs as unknown as tf.TensorInfo[];
      const made: tf.TensorInfo[] = [];
      while (parts.length > most) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < parts.length; i += most) {
          const group = parts.slice(i, i + most);
          if (group.length === 1) next.push(group[0] as tf.TensorInfo);
          else {
            const sum = native({ ...args, inputs: group as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
            made.push(sum);
            next.push(sum);
          }
        }
        parts = next;
      }
      const out = native({ ...args, inputs: parts as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      for (const t of made) (args.backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  };
}

/** The kernels the engine supplies on webgpu. */
export const webgpuKernels = [
  reluGradKernel,
  runningStatsKernel,
  sgdStepKernel,
  { kernelName: 'AddN', wrap: wrapAddN },
];
