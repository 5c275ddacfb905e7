/** @lrnas/schema/nats: applies the JetStream topology of the contract with the `nats` client. */
export * from './topology.js';
export * from './login.js';
