/** @lrnas/schema/node: conventions every Node service follows, kept apart from the browser-safe contracts. */
export * from './process-guard.js';
export * from './event-signature.js';
