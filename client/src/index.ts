/** @lrnas/client: log runs to an LRNAS Hub from any Node.js program. */
export { Hub, type HubOptions, type NewRun } from './hub.js';
export { LoggedRun } from './logged-run.js';
export { HubError } from './hub-call.js';
export type { FinalStatus } from './spool.js';
export { CLIENT_VERSION } from './version.js';
