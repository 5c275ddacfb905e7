/** Data parallelism over engine threads (worker_threads, one TF.js backend each). */
export { EnginePool, resolveThreadCount, splitBatch, THREADS_ENV, type HostBatch, type PoolOptions } from './pool.js';
export type { ModelSpec, SgdSpec } from './protocol.js';
export { createReducerMemory, Reducer, ReducerAbortedError, type ReducerMemory } from './reducer.js';
