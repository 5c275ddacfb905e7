/** @lrnas/engine: LRNAS on TensorFlow.js. */
export * from './backend.js';
export * from './version.js';
export * from './random.js';
export * from './kernels/index.js';
export * from './nn/index.js';
export * from './data/index.js';
export * from './attacks/index.js';
export * from './train/index.js';
export * from './search/index.js';
export * from './parallel/index.js';
