import * as tf from '@tensorflow/tfjs-core';
import { dyForInputGradient, tensorInput, xForFilterGradient } from './conv-geometry.js';
import { wasmBackend } from './wasm-heap.js';
import { simdDepthwise } from './wasm-simd.js';

function geometry(
  xShape: number[],
  filterShape: number[],
  attrs:
    | tf.DepthwiseConv2dNativeAttrs
    | tf.DepthwiseConv2dNativeBackpropInputAttrs
    | tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

// Both gradients are built from forward ops only, so they run on any backend (depthwise.ts uses them for
// dilation 2 on every backend; on wasm they also serve as the missing backprop kernels).

/**
 * dx of a depthwise convolution: a stride-1 depthwise correlation of the upsampled, padded dy with the
 * spatially flipped filter; with a channel multiplier M the M output channels of each input channel are summed.
 */
export function depthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(attrs.inputShape, filter.shape, attrs);
    const [fh, fw, channels, multiplier] = filter.shape;
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fh, fw, channels * multiplier, 1]) as tf.Tensor4D;
    const dilations: [number, number] = [info.dilationHeight, info.dilationWidth];
    const dx = tf.depthwiseConv2d(dyForInputGradient(dy, info), flipped, 1, 'valid', 'NHWC', dilations);
    if (multiplier === 1) return dx;
    const [n, h, w] = dx.shape;
    return tf.sum(tf.reshape(dx, [n, h, w, channels, multiplier]), 4) as tf.Tensor4D;
  });
}

/**
 * dfilter of a depthwise convolution, computed as one depthwise convolution: channels become (channel, image)
 * pairs, dy of each pair is the "filter" (dilated by the forward stride) and it slides over the padded x with
 * the forward dilation as its stride; summing over images gives each tap's gradient.
 */
export function depthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs,
): tf.Tensor4D {
  return tf.tidy(() => {
    const info = geometry(x.shape, attrs.filterShape, attrs);
    const [fh, fw, channels, multiplier] = attrs.filterShape;
    const [stride, dilation] = [
      [info.strideHeight, info.strideWidth],
      [info.dilationHeight, info.dilationWidth],
    ];
    if (stride.some((s) => s > 1) && dilation.some((d) => d > 1)) {
      throw new Error('depthwise filter gradient: strides and dilations cannot both exceed 1');
    }
    const [n] = x.shape;
    const [, ho, wo] = dy.shape;
    const xp = xForFilterGradient(x, info);
    const [, hp, wp] = xp.shape;
    const images = tf.reshape(tf.transpose(xp, [1, 2, 3, 0]), [1, hp, wp, channels * n]) as tf.Tensor4D;
    const dyPerImage = tf.transpose(tf.reshape(dy, [n, ho, wo, channels, multiplier]), [1, 2, 3, 0, 4]);
    const kernel = tf.reshape(dyPerImage, [ho, wo, channels * n, multiplier]) as tf.Tensor4D;
    const taps = tf.depthwiseConv2d(
      images,
      kernel,
      dilation as [number, number],
      'valid',
      'NHWC',
      stride as [number, number],
    );
    return tf.sum(tf.reshape(taps, [fh, fw, channels, n, multiplier]), 3) as tf.Tensor4D;
  });
}

/**
 * wasm dx of a depthwise convolution with channel multiplier 1 (every one in the networks) as one SIMD kernel
 * that scatters dy times each tap straight into dx, skipping the taps that fall on padding: no upsampled or
 * padded copy of dy. Any dilation and stride; other multipliers take the composed version.
 */
function wasmDepthwiseBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropInputAttrs,
  backend: unknown,
): tf.TensorInfo {
  if (filter.shape[3] !== 1) return depthwiseBackpropInput(dy, filter, attrs);
  const info = geometry(attrs.inputShape, filter.shape, attrs);
  const wasm = wasmBackend(backend);
  const dx = wasm.makeOutput(attrs.inputShape, 'float32');
  simdDepthwise(wasm, 'DEPTHWISE_INPUT_GRAD', [dy, filter, dx], info);
  return dx;
}

/**
 * wasm dfilter of a depthwise convolution with channel multiplier 1 as one SIMD kernel: each tap's gradient is
 * the sum over the output of x (read in place, the rows and columns under padding skipped) times dy.
 */
function wasmDepthwiseBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: tf.DepthwiseConv2dNativeBackpropFilterAttrs,
  backend: unknown,
): tf.TensorInfo {
  if (attrs.filterShape[3] !== 1) return depthwiseBackpropFilter(x, dy, attrs);
  const info = geometry(x.shape, attrs.filterShape, attrs);
  const wasm = wasmBackend(backend);
  const df = wasm.makeOutput(attrs.filterShape, 'float32');
  simdDepthwise(wasm, 'DEPTHWISE_FILTER_GRAD', [x, dy, df], info);
  return df;
}

/**
 * wasm DepthwiseConv2dNative: ours (one SIMD kernel, wasm/kernels.ts depthwise) for channel multiplier 1 on
 * channels a multiple of 4 (any stride and dilation; 0.5-0.9 of the native kernel's time on the supernet's 8 and 16
 * channels and the evaluation network's 36-72, about equal at 4 and 144) and on 1 or 2 channels at stride 1
 * (the supernet's partial channels at C = 8); the native kernel (XNNPACK) everywhere else.
 */
export function wrapDepthwiseForward(native: tf.KernelFunc): Omit<tf.KernelConfig, 'backendName'> {
  return {
    kernelName: 'DepthwiseConv2dNative',
    kernelFunc: (args) => {
      const x = tensorInput<tf.Rank.R4>(args.inputs, 'x');
      const filter = tensorInput<tf.Rank.R4>(args.inputs, 'filter');
      const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
      const info = geometry(x.shape, filter.shape, attrs);
      const c = info.inChannels;
      const stride1 = info.strideHeight === 1 && info.strideWidth === 1;
      if (filter.shape[3] !== 1 || !(c % 4 === 0 || (c <= 2 && stride1))) return native(args);
      const wasm = wasmBackend(args.backend);
      const y = wasm.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
      simdDepthwise(wasm, 'DEPTHWISE_FORWARD', [x, filter, y], info);
      return y;
    },
  };
}

/**
 * Marks our backprop kernels' configs as honouring dilations (the cpu backend's ignore them). A mark on the config,
 * not a set of functions, so that it survives wrappers that copy the config (the benchmark's kernel profiler).
 */
type Marked = Omit<tf.KernelConfig, 'backendName'> & { honoursDilations?: true };

/**
 * dx and dfilter of a depthwise convolution, with dilations: the backend's backprop kernels where they are ours
 * (wasm), else the composed versions above (any backend). Each is computed when its function is called, so that a
 * gradient with respect to x alone (an attack's) computes no filter gradient.
 */
export function depthwiseGradients(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: { strides: number | [number, number]; pad: number | 'same' | 'valid'; dilations: number | [number, number] },
): { x: () => tf.Tensor4D; filter: () => tf.Tensor4D } {
  const backend = tf.getBackend();
  const kernel = (name: string): boolean => {
    const k = tf.getKernel(name, backend) as Marked | undefined;
    return k?.honoursDilations === true;
  };
  const inputAttrs = { ...attrs, inputShape: x.shape };
  const filterAttrs = { ...attrs, filterShape: filter.shape };
  const run = (name: string, inputs: tf.NamedTensorMap, a: object): tf.Tensor4D =>
    tf.engine().runKernel(name, inputs, a as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  return {
    x: () =>
      kernel('DepthwiseConv2dNativeBackpropInput')
        ? run('DepthwiseConv2dNativeBackpropInput', { dy, filter }, inputAttrs)
        : depthwiseBackpropInput(dy, filter, inputAttrs),
    filter: () =>
      kernel('DepthwiseConv2dNativeBackpropFilter')
        ? run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, filterAttrs)
        : depthwiseBackpropFilter(x, dy, filterAttrs),
  };
}

/** wasm kernels for the depthwise backprop ops the wasm backend lacks (SIMD for channel multiplier 1). */
export const depthwiseBackpropKernels: Marked[] = [
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    honoursDilations: true,
    kernelFunc: ({ inputs, attrs, backend }) =>
      wasmDepthwiseBackpropInput(
        tensorInput(inputs, 'dy'),
        tensorInput(inputs, 'filter'),
        attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs,
        backend,
      ),
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    honoursDilations: true,
    kernelFunc: ({ inputs, attrs, backend }) =>
      wasmDepthwiseBackpropFilter(
        tensorInput(inputs, 'x'),
        tensorInput(inputs, 'dy'),
        attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs,
        backend,
      ),
  },
];
