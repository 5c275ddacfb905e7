/** Entry point of the `lrnas` command (bin/lrnas.mjs imports this file). */
import { runCliOffThread } from './cli-thread.js';

process.exitCode = await runCliOffThread(process.argv.slice(2));
