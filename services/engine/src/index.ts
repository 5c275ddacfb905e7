/** @lrnas/engine: LRNAS on TensorFlow.js. */
export * from './backend.js';
export * from './version.js';
