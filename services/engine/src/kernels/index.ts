import * as tf from '@tensorflow/tfjs-core';
import { avgPoolGradKernels } from './avg-pool-grad.js';
import { batchNormTrainKernels, wasmBatchNormTrainKernels } from './batch-norm-train.js';
import { installFreeingBackprop } from './backprop.js';
import { channelAffineKernel, wasmChannelAffineKernel } from './channel-affine.js';
import { conv2dBackpropKernels, wrapConv2dForward, wrapFusedConv2dForward } from './conv2d-backprop.js';
import { depthwiseBackpropKernels, wrapDepthwiseForward } from './depthwise-backprop.js';
import { gatherKernel } from './gather.js';
import { wasmGroupStandardiseKernel } from './group-standardise.js';
import { maxPoolGradKernels } from './max-pool-grad.js';
import { positionScaleKernel } from './position-scale.js';
import { registerGradients } from './gradients/index.js';
import { cpuReluGradKernel, wasmReluGradKernel } from './relu-grad.js';
import { segmentSumKernels } from './segment-sum.js';
import { smallStepKernels } from './small-steps.js';
import { wasmBatchNormKernels } from './wasm-batch-norm.js';
import { wasmCopyKernels } from './wasm-copy.js';
import { wasmReduceKernels } from './wasm-reduce.js';
import { wasmWeightedSumKernels } from './weighted-sum.js';
import { webgpuKernels } from './webgpu.js';

export { channelAffine } from './channel-affine.js';
export { depthwiseConv2d } from './depthwise.js';
export {
  addSameShape,
  batchNormTraining,
  batchNormTrainingGroup,
  concatParts,
  conv2dWithBias,
  setBatchStatisticsReducer,
  type BatchNormAffine,
  type BatchNormTrainingResult,
  type ChannelReducer,
} from './fused.js';
export { avgPoolExcludePad } from './pool.js';
export { composedGroupStandardise, GROUP_STANDARDISE } from './group-standardise.js';
export { scaleGroups, weightedSum } from './weighted-sum.js';
export { RUNNING_STATS, SGD_STEP } from './small-steps.js';
export { RELU_GRAD, reluGrad } from './relu-grad.js';

type Kernel = Omit<tf.KernelConfig, 'backendName'>;
/** A kernel we supply: new, replacing a native one, or wrapping the native one (given when it exists). */
type Supplied = Kernel | { kernelName: string; wrap: (native: tf.KernelFunc) => Kernel };

/** Kernels we supply per backend: missing ones, much slower native ones (copies, reductions...), and ones with bugs (GatherV2, MaxPoolGrad). */
const SUPPLIED: Record<string, Supplied[]> = {
  cpu: [...batchNormTrainKernels, ...smallStepKernels, cpuReluGradKernel],
  wasm: [
    ...wasmBatchNormTrainKernels,
    ...smallStepKernels,
    ...depthwiseBackpropKernels,
    { kernelName: 'DepthwiseConv2dNative', wrap: wrapDepthwiseForward },
    ...conv2dBackpropKernels,
    { kernelName: 'Conv2D', wrap: wrapConv2dForward },
    { kernelName: 'FusedConv2D', wrap: wrapFusedConv2dForward },
    ...segmentSumKernels,
    ...maxPoolGradKernels,
    ...avgPoolGradKernels,
    ...wasmBatchNormKernels,
    { kernelName: 'GatherV2', wrap: gatherKernel },
    ...wasmCopyKernels,
    ...wasmReduceKernels,
    ...wasmWeightedSumKernels,
    wasmReluGradKernel,
    wasmChannelAffineKernel,
    positionScaleKernel,
    wasmGroupStandardiseKernel,
  ],
  webgpu: webgpuKernels,
};

/** The engine's own kernels, composed of standard ones, on every backend. */
const GENERIC: Supplied[] = [channelAffineKernel];

const ours = new WeakSet<tf.KernelFunc>();

/** Backends whose kernels our gradients are written and tested against. */
const OWN_GRADIENTS = new Set(['cpu', 'wasm']);

/**
 * Makes training work on `backendName`: registers our gradients (the gradient registry is global; on cpu and
 * wasm they replace any others, elsewhere they only fill gaps), a backward pass that frees memory as it goes
 * (backprop.ts; also global) and the kernels that backend lacks, runs too slowly or gets wrong. Idempotent;
 * call after the backend is set.
 */
export function registerMissingKernels(backendName: string): void {
  registerGradients(OWN_GRADIENTS.has(backendName));
  installFreeingBackprop();
  // A backend's own version of a generic kernel comes first (the generic one is then skipped).
  for (const supplied of [...(SUPPLIED[backendName] ?? []), ...GENERIC]) {
    const current = tf.getKernel(supplied.kernelName, backendName);
    if (current && ours.has(current.kernelFunc)) continue;
    let kernel: Kernel;
    if ('wrap' in supplied) {
      if (!current) throw new Error(`${backendName} has no ${supplied.kernelName} kernel to wrap`);
      kernel = supplied.wrap(current.kernelFunc);
    } else {
      kernel = supplied;
    }
    if (current) tf.unregisterKernel(supplied.kernelName, backendName);
    ours.add(kernel.kernelFunc);
    tf.registerKernel({ ...kernel, backendName });
  }
}
