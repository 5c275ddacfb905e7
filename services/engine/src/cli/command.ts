import { parseArgs } from 'node:util';

/** Where a command writes (stdout carries results, stderr messages for people), and its Ctrl-C. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal, and how wide: a progress bar redraws one line there. */
  terminal?: { isTTY: boolean; columns?: number | undefined };
  /**
   * Calls `listener` on the next Ctrl-C (SIGINT) instead of ending the process; returns what stops
   * listening. A second Ctrl-C, or one while nothing listens, ends the process at once.
   */
  onInterrupt?(listener: () => void): () => void;
}

/**
 * An AbortSignal for a command's long stage that the first Ctrl-C aborts, saying on stderr that
 * the stage saves a checkpoint; `dispose` stops listening.
 */
export function checkpointOnInterrupt(io: CliIo, program: string): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = io.onInterrupt?.(() => {
    io.stderr(`\n${program}: interrupted; saving a checkpoint (Ctrl-C again to quit at once)\n`);
    controller.abort();
  });
  return { signal: controller.signal, dispose: () => stop?.() };
}

/** Bad usage or bad input from the user (flags, files): printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A command that does something. `run` resolves to the exit code. */
export interface LeafCommand {
  kind: 'leaf';
  name: string;
  summary: string;
  /** Full help text (usage line, description, options). */
  help(path: readonly string[]): string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** A command that only groups subcommands (`lrnas arch params`). */
export interface GroupCommand {
  kind: 'group';
  name: string;
  summary: string;
  description?: string;
  subcommands: readonly Command[];
}

export type Command = LeafCommand | GroupCommand;

/** One flag of a command: `--name VALUE` (string, int) or `--name` (boolean). */
export interface FlagSpec {
  kind: 'string' | 'int' | 'boolean';
  description: string;
  /** Placeholder in the help text, e.g. FILE. */
  value?: string;
  default?: string | number | boolean;
  required?: boolean;
  /** Smallest allowed value of an int flag (default 1). */
  min?: number;
}

type FlagSpecs = Readonly<Record<string, FlagSpec>>;
type ValueOf<S extends FlagSpec> = S['kind'] extends 'int' ? number : S['kind'] extends 'boolean' ? boolean : string;
/** Parsed flags, keyed by flag name: present when required or defaulted, else possibly undefined. */
export type Flags<F extends FlagSpecs> = {
  [K in keyof F]: F[K] extends { required: true } | { default: string | number | boolean }
    ? ValueOf<F[K]>
    : ValueOf<F[K]> | undefined;
};

/** Declares a leaf command: its flags are parsed and validated (strictly: unknown flags are errors) before `run`. */
export function defineCommand<F extends FlagSpecs>(spec: {
  name: string;
  summary: string;
  description?: string;
  flags: F;
  run(flags: Flags<F>, io: CliIo): Promise<number | void> | number | void;
}): LeafCommand {
  return {
    kind: 'leaf',
    name: spec.name,
    summary: spec.summary,
    help: (path) => leafHelp(path, spec.summary, spec.description, spec.flags),
    async run(args, io) {
      const flags = parseFlags(args, spec.flags);
      return (await spec.run(flags, io)) ?? 0;
    },
  };
}

/** Declares a group of subcommands. */
export function defineGroup(spec: Omit<GroupCommand, 'kind'>): GroupCommand {
  return { kind: 'group', ...spec };
}

/** Parses `args` against `specs`; throws a UsageError naming the offending flag. */
export function parseFlags<F extends FlagSpecs>(args: readonly string[], specs: F): Flags<F> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [name, { type: spec.kind === 'boolean' ? 'boolean' : 'string' }]),
      ) as Record<string, { type: 'string' | 'boolean' }>,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = parsed.values[name];
    if (raw === undefined) {
      if (spec.required) throw new UsageError(`--${name} is required`);
      out[name] = spec.default;
    } else if (spec.kind === 'int') {
      out[name] = parseIntFlag(name, String(raw), spec.min ?? 1);
    } else {
      out[name] = raw as string | boolean;
    }
  }
  return out as Flags<F>;
}

function parseIntFlag(name: string, raw: string, min: number): number {
  const value = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function leafHelp(path: readonly string[], summary: string, description: string | undefined, flags: FlagSpecs): string {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `--${name}${spec.kind === 'boolean' ? '' : ` ${spec.value ?? (spec.kind === 'int' ? 'N' : 'VALUE')}`}`;
    const extra = spec.required ? ' (required)' : spec.default !== undefined ? ` (default ${spec.default})` : '';
    return [left, `${spec.description}${extra}`] as const;
  });
  rows.push(['-h, --help', 'Show this help']);
  const width = Math.max(...rows.map(([left]) => left.length));
  const required = Object.entries(flags)
    .filter(([, spec]) => spec.required)
    .map(([name, spec]) => `--${name} ${spec.value ?? 'VALUE'}`);
  return [
    `Usage: ${[...path, ...required].join(' ')} [options]`,
    '',
    description ?? summary,
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    '',
  ].join('\n');
}

/** Help text of a group: its subcommands with their summaries. */
export function groupHelp(path: readonly string[], summary: string, subcommands: readonly Command[]): string {
  const width = Math.max(...subcommands.map((c) => c.name.length), 4);
  return [
    `Usage: ${path.join(' ')} <command> [options]`,
    '',
    summary,
    '',
    'Commands:',
    ...subcommands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${path.join(' ')} <command> --help\` for a command's options.`,
    '',
  ].join('\n');
}
