/**
 * The engine benchmark: images per second of training steps (clean and PGD-7) and attacks for the tiny preset
 * and the paper network, per backend, on seeded synthetic data. Every measurement runs in its own worker
 * process; each configuration is measured `--rounds` times (default 2) in one run, because the machine is
 * noisy and figures are meant to be compared as ratios within a run. With `--reference pytorch` each engine
 * measurement is followed by PyTorch's of the same configuration, and only those pairs give ratios: no figure
 * from another day is ever printed. Prints a table, saves JSON.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkoutEngine, describeWorkingTree, repositoryRoot } from './baseline.js';
import { checkWorkloadPatterns, planConfigs } from './configs.js';
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from './options.js';
import { formatNotes, formatTable, type Measurement, type Variant } from './report.js';
import { RESULT_MARKER, type WorkerJob, type WorkerResult } from './protocol.js';
import { findPythonTorch, hasReference, referenceDevice, runReference, type PythonTorch } from './reference.js';
import { LRNAS_C10 } from './genotype.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(here, 'worker.ts');
const CURRENT_SRC = path.resolve(here, '..', 'src');
/** Backends in the engine's order of preference; the node ones only when their package is installed. */
const CANDIDATES = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'];
const NODE_PACKAGES: Record<string, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

/** Runs one worker; resolves with its result, or rejects with the last lines it printed. */
function runWorker(job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, WORKER, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      process.stderr.write(chunk);
      tail.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
      tail.splice(0, Math.max(0, tail.length - 60));
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code === 0 && line) {
        resolve(JSON.parse(line.slice(RESULT_MARKER.length)) as WorkerResult);
        return;
      }
      // The error's own line, not its stack frames (an out-of-memory wasm heap shows as a RuntimeError).
      const why =
        [...tail].reverse().find((l) => /^\s*(\w*Error|Aborted)\b/.test(l) && !/^\s*at /.test(l)) ??
        tail[tail.length - 1] ??
        '';
      reject(new Error(`worker exited with ${signal ?? `code ${code}`}${why ? `: ${why.trim().slice(0, 300)}` : ''}`));
    });
  });
}

function installed(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** Starts each wanted backend once in a worker; returns those that work, with their description. */
async function probeBackends(
  options: BenchOptions,
): Promise<{ available: Array<{ name: string; info: WorkerResult['backend'] }>; notes: string[] }> {
  const wanted = options.backends ?? CANDIDATES.filter((b) => !NODE_PACKAGES[b] || installed(NODE_PACKAGES[b]));
  const unknown = wanted.filter((b) => !CANDIDATES.includes(b));
  if (unknown.length > 0)
    throw new UsageError(`--backends: unknown ${unknown.join(', ')}; known: ${CANDIDATES.join(', ')}`);
  const available: Array<{ name: string; info: WorkerResult['backend'] }> = [];
  const notes: string[] = [];
  for (const b of CANDIDATES.filter((c) => wanted.includes(c))) {
    try {
      const result = await runWorker({ engineSrc: CURRENT_SRC, backend: b, probe: true });
      // A software adapter (lavapipe) computes right but slowly: measured only when named.
      if (!options.backends && result.backend.adapter?.software) {
        notes.push(`backend ${b} not measured (software adapter ${result.backend.device}; name it in --backends)`);
        continue;
      }
      available.push({ name: b, info: result.backend });
    } catch (error) {
      notes.push(`backend ${b} unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const b of CANDIDATES.filter((c) => !wanted.includes(c))) {
    notes.push(
      `backend ${b} not measured (${NODE_PACKAGES[b] ? `${NODE_PACKAGES[b]} is not installed` : 'not selected'})`,
    );
  }
  return { available, notes };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const badPattern = checkWorkloadPatterns(options.workloads);
  if (badPattern) throw new UsageError(badPattern);

  const root = repositoryRoot(here);
  const tree = describeWorkingTree(root);
  const variants: Array<{ variant: Variant; engineSrc: string; commit: string }> = [];
  if (options.compare) {
    const base = checkoutEngine(root, options.compare);
    variants.push({ variant: 'baseline', engineSrc: base.engineSrc, commit: base.commit });
  }
  variants.push({ variant: 'current', engineSrc: CURRENT_SRC, commit: tree.commit + (tree.dirty ? '+changes' : '') });

  const { available, notes: backendNotes } = await probeBackends(options);
  if (available.length === 0) throw new Error('no backend could start');
  let pytorch: PythonTorch | undefined;
  if (options.reference === 'pytorch') {
    const found = findPythonTorch();
    if ('missing' in found) {
      // No reference, no ratio: the engine's figures are still measured and printed.
      backendNotes.push(`--reference pytorch: ${found.missing}; no ratios printed`);
    } else {
      pytorch = found;
    }
  }
  const plans = available.map(({ name, info }) => ({
    backend: name,
    referenceDevice: pytorch
      ? referenceDevice(pytorch, { name, ...(info.adapter && { adapter: info.adapter }) })
      : 'cpu',
    ...planConfigs(options, name),
  }));

  process.stderr.write(
    `lrnas engine benchmark: ${available.map((a) => `${a.name} (${a.info.device})`).join(', ')}; ` +
      `${options.threads} thread(s)${pytorch ? `, PyTorch ${pytorch.torch} (${pytorch.python})` : ''}; ` +
      `${options.rounds} round(s)${options.compare ? `; before = ${options.compare} (${variants[0]?.commit.slice(0, 9)})` : ''}\n`,
  );
  // Other processes on the machine slow both sides, PyTorch's OpenMP threads the most: the load is printed.
  const loadAtStart = os.loadavg()[0] ?? 0;
  const measurements: Measurement[] = [];
  const kernelReports: Array<{
    id: string;
    backend: string;
    variant: Variant;
    wallMs: number;
    kernels: WorkerResult['kernels'];
  }> = [];
  // Round-major order: the rounds of one configuration are separated in time, and with --compare the two
  // engines alternate within each round, so slow drifts of the machine hit both alike.
  for (let round = 0; round < options.rounds; round++) {
    for (const plan of plans) {
      for (const config of plan.configs) {
        for (const v of variants) {
          const m: Measurement = { config, backend: plan.backend, variant: v.variant, round };
          try {
            m.result = await runWorker({
              engineSrc: v.engineSrc,
              backend: plan.backend,
              config,
              profile: options.profile,
              threads: options.threads,
            });
            if (m.result.kernels) {
              kernelReports.push({
                id: config.id,
                backend: plan.backend,
                variant: v.variant,
                wallMs: (m.result.timing?.samplesMs ?? []).reduce((a, b) => a + b, 0),
                kernels: m.result.kernels,
              });
            }
          } catch (error) {
            m.error = error instanceof Error ? error.message : String(error);
            process.stderr.write(`  ${config.id} on ${plan.backend}: ${m.error}\n`);
          }
          if (pytorch && v.variant === 'current' && hasReference(config.workload)) {
            try {
              m.reference = await runReference(
                pytorch.python,
                config,
                LRNAS_C10,
                options.threads,
                plan.referenceDevice,
              );
            } catch (error) {
              m.referenceError = error instanceof Error ? error.message : String(error);
              process.stderr.write(`  ${config.id} on PyTorch: ${m.referenceError}\n`);
            }
          }
          measurements.push(m);
        }
      }
    }
  }

  const lines: string[] = [];
  lines.push(
    `LRNAS engine benchmark, ${new Date().toISOString()}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, node ${process.version}`,
  );
  for (const a of available) {
    lines.push(
      `  ${a.name}: ${a.info.device}; ${Object.entries(a.info.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
  for (const v of variants) lines.push(`  ${v.variant === 'baseline' ? 'before' : 'engine'}: ${v.commit}`);
  lines.push(`  threads: ${options.threads} (engine threads; PyTorch torch.set_num_threads)`);
  lines.push(
    `  machine load (1-minute average): ${loadAtStart.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at ` +
      `the end, on ${os.cpus().length} cores`,
  );
  if (pytorch) {
    lines.push(
      `  reference: PyTorch ${pytorch.torch} ${
        plans.some((p) => p.referenceDevice === 'cuda') ? `CUDA on ${pytorch.cuda} for GPU backends, else CPU` : 'CPU'
      } (${pytorch.python} bench/pytorch/measure.py), measured right after ` +
        `each engine measurement; ours/PyTorch = geometric mean of the per-round ratios of the median iterations, ` +
        `fastest = the same of each side's fastest iteration (the least disturbed by other processes)`,
    );
  }
  lines.push(
    `images/s = batch / median wall time of the timed iterations (± spread = (max-min)/median); ` +
      `runs 1..${options.rounds} are separate measurements in this run`,
  );
  lines.push('');
  lines.push(formatTable(measurements, options.rounds, variants.length > 1, pytorch !== undefined));
  const notes = [...backendNotes, ...formatNotes(measurements)];
  for (const plan of plans) {
    if (plan.skipped.length > 0) {
      notes.push(`${plan.backend}: skipped ${plan.skipped.join(', ')} (too slow; --cpu-full runs them)`);
    }
  }
  notes.push(
    "training steps: src/train's craftAdversarial (train-pgd7: PGD-7, random start, step 0.01 at 8/255 or " +
      '2.5 eps / 7), objectiveLoss under tf.variableGrads, clipGradNorm 5, Sgd (lr 0.1, momentum 0.9, weight ' +
      "decay 1e-4), composed as Trainer's private step (bench/train-step.ts)",
  );
  lines.push('', ...notes.map((n) => `note: ${n}`));
  for (const k of kernelReports) {
    const total = (k.kernels ?? []).reduce((s, e) => s + e.exclusiveMs, 0);
    lines.push(
      '',
      `kernels of ${k.id} on ${k.backend}${k.variant === 'baseline' ? ' (before)' : ''}: ` +
        `${total.toFixed(0)} ms in kernels of ${k.wallMs.toFixed(0)} ms wall over the timed iterations (exclusive ms):`,
    );
    for (const e of (k.kernels ?? []).slice(0, 30)) {
      lines.push(
        `  ${e.kernel.padEnd(38)} ${String(e.calls).padStart(7)} calls ${e.exclusiveMs.toFixed(0).padStart(8)} ms ${((100 * e.exclusiveMs) / total).toFixed(1).padStart(5)}%`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const out = options.out ?? path.join('bench-results', `engine-${timestamp()}.json`);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const json = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: process.platform },
    options,
    variants,
    ...(pytorch ? { reference: pytorch } : {}),
    backends: available,
    measurements: measurements.map((m) => ({
      id: m.config.id,
      backend: m.backend,
      variant: m.variant,
      round: m.round + 1,
      config: m.config,
      ...(m.result ? { result: m.result } : {}),
      ...(m.error ? { error: m.error } : {}),
      ...(m.reference ? { reference: m.reference } : {}),
      ...(m.referenceError ? { referenceError: m.referenceError } : {}),
    })),
    notes,
  };
  fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`\nsaved ${path.resolve(out)}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
