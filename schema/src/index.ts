/** @lrnas/schema: the contracts that the gateway, the workers and the dashboard share. */
export * from './errors.js';
export * from './names.js';
export * from './genotype.js';
export * from './sha256.js';
export * from './threat-model.js';
export * from './common.js';
export * from './codec.js';
export * from './jobs.js';
export * from './study.js';
export * from './study-table.js';
export * from './events.js';
export * from './presence.js';
export * from './vocabulary.js';
export * from './api-settings.js';
