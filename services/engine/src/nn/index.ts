/** Networks of the engine: module system, layers, DARTS operations, cells, evaluation network, costs. */
export * from './module.js';
export * from './init.js';
export * from './depthwise.js';
export * from './layers.js';
export * from './batch-norm.js';
export * from './pooling.js';
export * from './drop-path.js';
export * from './ops.js';
export * from './aux-head.js';
export * from './cell.js';
export * from './plan.js';
export * from './cost.js';
export * from './network.js';
