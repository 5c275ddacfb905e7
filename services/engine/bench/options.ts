import os from 'node:os';
import { parseArgs } from 'node:util';

/** Environment variable of the engine's thread count (the benchmark's default for --threads). */
export const THREADS_ENV = 'LRNAS_THREADS';

/** Flags of `npm run bench -w @lrnas/engine`. */
export interface BenchOptions {
  /** Backends to measure; undefined means every available one. */
  backends: string[] | undefined;
  /** Workload id patterns (prefixes such as `paper`, `tiny/attack`, `tiny/train-clean`); undefined means all. */
  workloads: string[] | undefined;
  /** Times each configuration is measured in the run (default 2): figures are compared within one run. */
  rounds: number;
  /** Overrides of every configuration's warm-up and timed iteration counts. */
  warmup: number | undefined;
  iterations: number | undefined;
  /** Override of every configuration's batch size (e.g. to find what fits in memory). */
  batch: number | undefined;
  /** Fewer iterations and attack steps: a smoke run of a few minutes. */
  quick: boolean;
  /** Run every configuration on the cpu backend with the usual counts (by default it gets a few small ones: hours). */
  cpuFull: boolean;
  /** Print the exclusive time per kernel of each configuration (one round). */
  profile: boolean;
  /** A git ref of the engine to measure alongside the working tree (before/after ratios in one run). */
  compare: string | undefined;
  /** Measure the same workloads with this reference in the same run and print the ratios (only 'pytorch'). */
  reference: 'pytorch' | undefined;
  /** Threads of each side: the engine's thread count and PyTorch's torch.set_num_threads. */
  threads: number;
  /** Where to write the JSON results; default bench-results/engine-<timestamp>.json. */
  out: string | undefined;
  help: boolean;
}

/** Thrown for bad flags; main prints it with the usage and exits with code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: npm run bench -w @lrnas/engine -- [flags]

Images per second of training steps and attacks, per backend, on seeded synthetic data.
Each configuration runs in its own process (fresh wasm heap), twice per run by default.

  --backends LIST     comma-separated: node-gpu, webgpu, node, wasm, cpu (default: every available one;
                      webgpu on a software adapter such as lavapipe only when named)
  --workloads LIST    comma-separated id prefixes, e.g. paper, tiny/attack, paper/train-clean (default: all)
  --rounds N          measurements of each configuration in this run (default 2)
  --warmup N          warm-up iterations of every configuration (default: per configuration)
  --iterations N      timed iterations of every configuration (default: per configuration)
  --batch N           batch size of every configuration (default: 64, or 32 for paper training)
  --quick             fewer iterations and attack steps (a smoke run)
  --cpu-full          run every configuration on the cpu backend too (hours); by default cpu runs
                      a few tiny-network configurations with one warm-up and one timed iteration
  --profile           print the exclusive time per kernel of each configuration (forces --rounds 1)
  --compare REF       also measure the engine at git ref REF (e.g. HEAD~3) and print after/before ratios
  --reference pytorch also measure every workload that has a PyTorch version with bench/pytorch/measure.py
                      in this run (Python with torch: $LRNAS_BENCH_PYTHON, else /usr/bin/python3 or python3)
                      and print PyTorch's images/s and ours relative to it; without it no ratio is printed
  --threads N         threads of the engine and of PyTorch (default $LRNAS_THREADS, else the machine's cores)
  --out FILE          JSON output (default bench-results/engine-<timestamp>.json)
  --help              this text
`;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, got ${value}`);
  return n;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length > 0 ? items : undefined;
}

/** Parses the command line; throws UsageError naming the bad flag. */
export function parseBenchOptions(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        backends: { type: 'string' },
        workloads: { type: 'string' },
        rounds: { type: 'string' },
        warmup: { type: 'string' },
        iterations: { type: 'string' },
        batch: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'cpu-full': { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        compare: { type: 'string' },
        reference: { type: 'string' },
        threads: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  const profile = v.profile ?? false;
  const rounds = profile ? 1 : (positiveInt(v.rounds, '--rounds') ?? 2);
  if (rounds < 1) throw new UsageError('--rounds must be at least 1');
  const iterations = positiveInt(v.iterations, '--iterations');
  if (iterations === 0) throw new UsageError('--iterations must be at least 1');
  const batch = positiveInt(v.batch, '--batch');
  if (batch === 0) throw new UsageError('--batch must be at least 1');
  if (v.reference !== undefined && v.reference !== 'pytorch') {
    throw new UsageError(`--reference must be pytorch, got ${JSON.stringify(v.reference)}`);
  }
  const threads =
    positiveInt(v.threads, '--threads') ??
    positiveInt(process.env[THREADS_ENV], `$${THREADS_ENV}`) ??
    os.availableParallelism();
  if (threads < 1) throw new UsageError('--threads must be at least 1');
  return {
    backends: list(v.backends),
    workloads: list(v.workloads),
    rounds,
    warmup: positiveInt(v.warmup, '--warmup'),
    iterations,
    batch,
    quick: v.quick ?? false,
    cpuFull: v['cpu-full'] ?? false,
    profile,
    compare: v.compare,
    reference: v.reference,
    threads,
    out: v.out,
    help: v.help ?? false,
  };
}
