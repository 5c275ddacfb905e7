/**
 * One benchmark measurement in a fresh process (so every configuration starts with an empty wasm heap and a
 * crash, such as running out of wasm memory, costs only that configuration). Started by main.ts with a JSON
 * job as its only argument; prints progress on stderr and its result as one `BENCH_RESULT {...}` line.
 */
import * as tf from '@tensorflow/tfjs-core';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LRNAS_C10 } from './genotype.js';
import { KernelProfiler } from './kernel-profile.js';
import { RESULT_MARKER, type WorkerJob, type WorkerResult } from './protocol.js';
import { measure } from './timing.js';
import type { Train } from './train-step.js';
import { preparePooledWorkload, runsPooled } from './pooled.js';
import { prepareWorkload, type Engine } from './workloads.js';

function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: { length: number } } };
  return backend.wasm?.HEAPU8?.length;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
  const engine = (await import(pathToFileURL(path.join(job.engineSrc, 'index.ts')).href)) as Engine;
  const training = (await import(pathToFileURL(path.join(job.engineSrc, 'train', 'index.ts')).href)) as Train;
  const { Sgd, clipGradNorm, gradientClip } = engine as Partial<Engine> & Pick<Engine, 'Sgd' | 'clipGradNorm'>;
  const train: Train = { ...training, Sgd, clipGradNorm, ...(gradientClip && { gradientClip }) };
  const info = await engine.initBackend(job.backend);
  const result: WorkerResult = {
    backend: {
      name: info.name,
      tfBackend: info.tfBackend,
      device: info.device,
      versions: info.versions,
      ...(info.adapter && { adapter: info.adapter }),
    },
  };
  const config = job.config;
  if (!job.probe && config) {
    // Gradients and supplied kernels are registered before the profiler wraps the kernel table.
    engine.ensureGradients();
    const before = tf.memory().numTensors;
    // Kernels are profiled in this thread only: --profile measures one engine thread. On webgpu the engine computes
    // a batch whole on the device, in one thread (as its search does): engine threads would each open the GPU.
    const threads = job.profile || info.tfBackend === 'webgpu' ? 1 : (job.threads ?? 1);
    const pooled = runsPooled(engine, config, threads);
    const workload = pooled
      ? await preparePooledWorkload(engine, LRNAS_C10, config, threads)
      : prepareWorkload(engine, train, LRNAS_C10, config);
    result.threads = pooled ? threads : 1;
    const profiler = job.profile ? new KernelProfiler(info.tfBackend) : undefined;
    const label = `${config.id} on ${info.name}`;
    // Kernels are profiled over the timed iterations only.
    if (config.warmup === 0) profiler?.start();
    const timing = await measure(
      () => workload.iteration(),
      config.warmup,
      config.iterations,
      (phase, index, ms) => {
        if (phase === 'warm-up' && index === config.warmup - 1) profiler?.start();
        process.stderr.write(`  ${label}: ${phase} ${index + 1}: ${(ms / 1000).toFixed(2)} s\n`);
      },
    );
    profiler?.pause();
    result.timing = timing;
    result.imagesPerSecond = config.batch / (timing.medianMs / 1000);
    result.details = workload.details();
    // The engine threads' heaps are not visible from here (peak RSS covers them); this thread's would mislead.
    result.heapBytes = pooled ? undefined : wasmHeapBytes();
    result.parameters = workload.parameters;
    workload.dispose();
    result.leakedTensors = tf.memory().numTensors - before;
    if (profiler) {
      result.kernels = profiler.report();
      profiler.stop();
    }
  }
  // maxRSS is in KiB.
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
