/**
 * The PyTorch yardstick of `--reference pytorch`: the same workloads measured by bench/pytorch/measure.py in the
 * same run, so that every engine/PyTorch ratio compares two measurements of one sitting. Python is only the
 * benchmark's yardstick; nothing of the product depends on it.
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORKS, type BenchConfig, type WorkloadKind } from './configs.js';
import type { Genotype } from '@lrnas/schema';
import { RESULT_MARKER } from './protocol.js';
import type { TimingSummary } from './timing.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MEASURE = path.join(here, 'pytorch', 'measure.py');

/** Environment variable naming the Python interpreter (with torch) to use instead of probing the candidates. */
export const PYTHON_ENV = 'LRNAS_BENCH_PYTHON';
/** Interpreters probed in order: Debian's python3-torch lives under /usr/bin/python3, which a pyenv shim may hide. */
const PYTHON_CANDIDATES = ['/usr/bin/python3', 'python3'];
const SEED = 20261126;

/** What measure.py reports. */
export interface ReferenceResult {
  imagesPerSecond: number;
  timing: TimingSummary;
  parameters: number;
  details: Record<string, number>;
  peakRssBytes: number;
  threads: number;
  versions: Record<string, string>;
}

/** A Python interpreter that imports torch, torch's version and, where torch sees a CUDA GPU, its name. */
export interface PythonTorch {
  python: string;
  torch: string;
  cuda?: string;
}

/** Where PyTorch measures: on CUDA when the engine is measured on a GPU and torch has one, else on the CPU. */
export type ReferenceDevice = 'cpu' | 'cuda';

/** The yardstick's device for an engine backend: a GPU backend (node-gpu, webgpu on a hardware adapter) gets CUDA. */
export function referenceDevice(
  pytorch: PythonTorch,
  backend: { name: string; adapter?: { software: boolean } },
): ReferenceDevice {
  const onGpu = backend.name === 'node-gpu' || (backend.name === 'webgpu' && backend.adapter?.software === false);
  return onGpu && pytorch.cuda ? 'cuda' : 'cpu';
}

const PROBE =
  'import torch; print(torch.__version__); print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")';

/**
 * Finds a Python with torch: $LRNAS_BENCH_PYTHON if set (an error when it lacks torch), else the first candidate
 * that imports it. Returns undefined with the reasons when none does.
 */
export function findPythonTorch(env: NodeJS.ProcessEnv = process.env): PythonTorch | { missing: string } {
  const override = env[PYTHON_ENV];
  const candidates = override ? [override] : PYTHON_CANDIDATES;
  const reasons: string[] = [];
  for (const python of candidates) {
    try {
      const [torch = '', cuda = ''] = execFileSync(python, ['-c', PROBE], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      })
        .trim()
        .split('\n')
        .map((line) => line.trim());
      return { python, torch, ...(cuda && { cuda }) };
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      const last = stderr.trim().split('\n').pop() ?? (error instanceof Error ? error.message : String(error));
      reasons.push(`${python}: ${last.slice(0, 120)}`);
    }
  }
  return { missing: `no Python with torch (${reasons.join('; ')}${override ? '' : `; set ${PYTHON_ENV}`})` };
}

/** Workload kinds measure.py implements (attacks of the suite have no PyTorch version here). */
export function hasReference(workload: WorkloadKind): boolean {
  return workload.kind !== 'attack';
}

/** The job measure.py runs for a configuration (its shape, workload and counts, with the thread count). */
function referenceJob(
  config: BenchConfig,
  genotype: Genotype,
  threads: number,
  device: ReferenceDevice = 'cpu',
): Record<string, unknown> {
  const shape = NETWORKS[config.network];
  return {
    id: config.id,
    workload: config.workload,
    shape: { ...shape, classes: 10 },
    batch: config.batch,
    warmup: config.warmup,
    iterations: config.iterations,
    genotype: { normal: genotype.normal, reduce: genotype.reduce },
    seed: SEED,
    threads,
    device,
  };
}

/** Parameter counts of PyTorch's networks for `configs`, built without running them. */
export function referenceParameterCounts(python: string, configs: BenchConfig[], genotype: Genotype): number[] {
  const jobs = configs.map((c) => referenceJob(c, genotype, 1));
  const out = execFileSync(python, [MEASURE, '--parameters', JSON.stringify(jobs)], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

/** Runs measure.py on one configuration; rejects with its last error line. */
export function runReference(
  python: string,
  config: BenchConfig,
  genotype: Genotype,
  threads: number,
  device: ReferenceDevice = 'cpu',
): Promise<ReferenceResult> {
  const job = referenceJob(config, genotype, threads, device);
  return new Promise((resolve, reject) => {
    // One OpenMP/MKL pool of `threads` threads (torch.set_num_threads sets it; the variables keep others off).
    const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
    const child = spawn(python, [MEASURE, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      tail.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) {
        const result = JSON.parse(line.slice(RESULT_MARKER.length)) as ReferenceResult;
        // An estimate's iteration times only a sample of the naive walk; its rate is that of a whole estimate.
        const seconds = result.details.secondsPerEstimate;
        if (seconds !== undefined) result.imagesPerSecond = config.batch / seconds;
        resolve(result);
        return;
      }
      reject(
        new Error(`PyTorch exited with ${signal ?? `code ${code}`}: ${(tail[tail.length - 1] ?? '').slice(0, 300)}`),
      );
    });
  });
}
