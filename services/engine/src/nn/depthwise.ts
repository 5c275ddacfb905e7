/**
 * The one depthwise convolution every network layer uses (NHWC, filter [k, k, C, 1]):
 * `depthwiseConv2d(x, filter, strides: 1 | 2, pad: number, dilation: 1 | 2)`, differentiable on every
 * backend (including dilation 2 and stride 2 with dilation 2). Layers import it from here only.
 */
export { depthwiseConv2d } from '../kernels/index.js';
