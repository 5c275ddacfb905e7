/** Entry point of the `lrnas` command (bin/lrnas.mjs imports this file). */
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));
