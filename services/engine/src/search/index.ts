/** The LRNAS search: supernet, contribution estimation, architecture-weight updates, greedy selection, pipeline. */
export * from './space.js';
export * from './mixing.js';
export * from './supernet.js';
export * from './zscore.js';
export * from './contribution.js';
export * from './alpha-update.js';
export * from './scorer.js';
export * from './fgsm-parts.js';
export * from './selection.js';
export * from './alphas-file.js';
export * from './settings.js';
export * from './search-checkpoint.js';
export * from './search-run.js';
