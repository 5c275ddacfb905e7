/** @lrnas/engine: LRNAS on TensorFlow.js. */
export * from './backend.js';
export * from './version.js';
export * from './kernels/index.js';
export * from './nn/index.js';
// data: exported once its seed helpers are merged with nn's (see the random-module clean-up)
export * from './attacks/index.js';
