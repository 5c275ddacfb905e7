import fs from 'node:fs';
import { ENGINE_VERSION } from '../version.js';
import { groupHelp, UsageError, type CliIo, type Command } from './command.js';

const PROGRAM = 'lrnas';
const SUMMARY = 'LRNAS engine: search, retrain, attack and measure robust cell architectures.';
const COMMANDS_DIR = new URL('./commands/', import.meta.url);
const HELP = new Set(['-h', '--help']);

/** The process's streams and SIGINT. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  get terminal() {
    return { isTTY: Boolean(process.stderr.isTTY), columns: process.stderr.columns };
  },
  onInterrupt(listener) {
    // Once: Node ends the process on a SIGINT that finds no listener, which is the second Ctrl-C.
    const once = () => {
      process.off('SIGINT', once);
      listener();
    };
    process.on('SIGINT', once);
    return () => process.off('SIGINT', once);
  },
};

/**
 * Top-level commands are the modules in `commands/`, one per file, found at run time: a file
 * `commands/<name>.ts` whose default export is a Command named <name> is the command `lrnas <name>`,
 * so adding a command means adding one file. Only the invoked command's module is loaded.
 */
function commandFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of fs.readdirSync(COMMANDS_DIR)) {
    const match = /^([a-z][a-z0-9-]*)\.(ts|js)$/.exec(file);
    if (match?.[1] && !files.has(match[1])) files.set(match[1], file);
  }
  return files;
}

async function loadCommand(name: string, file: string): Promise<Command> {
  const module = (await import(new URL(file, COMMANDS_DIR).href)) as { default?: Command };
  const command = module.default;
  if (!command || command.name !== name) {
    throw new Error(`commands/${file} must default-export the command "${name}"`);
  }
  return command;
}

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    const files = commandFiles();
    const [first, ...rest] = argv;
    if (first === '--version' || first === '-V') {
      io.stdout(`${ENGINE_VERSION}\n`);
      return 0;
    }
    if (first === undefined || HELP.has(first)) {
      const all = await Promise.all([...files].sort().map(([name, file]) => loadCommand(name, file)));
      const text = groupHelp([PROGRAM], SUMMARY, all);
      if (first === undefined) {
        io.stderr(`${PROGRAM}: a command is required\n\n${text}`);
        return 2;
      }
      io.stdout(text);
      return 0;
    }
    const file = files.get(first);
    if (!file) {
      throw new UsageError(`unknown command "${first}" (commands: ${[...files.keys()].sort().join(', ')})`);
    }
    return await dispatch(await loadCommand(first, file), [PROGRAM, first], rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${PROGRAM}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`${PROGRAM}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

async function dispatch(command: Command, path: string[], args: readonly string[], io: CliIo): Promise<number> {
  if (command.kind === 'leaf') {
    if (args.some((arg) => HELP.has(arg))) {
      io.stdout(command.help(path));
      return 0;
    }
    return command.run(args, io);
  }
  const [first, ...rest] = args;
  if (first === undefined || HELP.has(first)) {
    const text = groupHelp(path, command.description ?? command.summary, command.subcommands);
    if (first === undefined) {
      io.stderr(`${PROGRAM}: a subcommand of "${path.join(' ')}" is required\n\n${text}`);
      return 2;
    }
    io.stdout(text);
    return 0;
  }
  const sub = command.subcommands.find((c) => c.name === first);
  if (!sub) {
    const names = command.subcommands.map((c) => c.name).join(', ');
    throw new UsageError(`unknown command "${path.join(' ')} ${first}" (commands: ${names})`);
  }
  return dispatch(sub, [...path, first], rest, io);
}
