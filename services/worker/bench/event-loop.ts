// How long the worker's thread is held while a job runs: the event loop's delay (perf_hooks) during a
// tiny pipeline run on this thread (runJob) and on an engine thread (runJobOffThread, as the worker
// runs jobs), measured one after the other in one run. Heartbeats, events, presence and cancels all
// wait on this thread, so its longest stall is what matters.
//   npm run bench -w @lrnas/worker
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { jobCodec } from '@lrnas/schema';
import { initBackend, runJob, runJobOffThread, type RunJobOptions } from '@lrnas/engine';
import { tinyPipelineJob } from '@lrnas/test-kit/tiny-jobs';

const backend = await initBackend(process.env.LRNAS_BACKEND);
const job = jobCodec.parse(tinyPipelineJob('run-bench', { trainLimit: 96, searchEpochs: 3, trainEpochs: 2 }));

async function measure(label: string, run: (options: RunJobOptions) => Promise<unknown>): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lrnas-loop-bench-'));
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const began = performance.now();
  try {
    await run({ dataDir: workDir, workDir, threads: 1 });
  } finally {
    delay.disable();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const ms = (ns: number) => (ns / 1e6).toFixed(0);
  console.log(
    `${label.padEnd(22)} run ${((performance.now() - began) / 1000).toFixed(1)} s, event-loop delay p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms`,
  );
}

console.log(`tiny pipeline on ${backend.name}, load average ${os.loadavg()[0]!.toFixed(1)}`);
await measure('on this thread', (options) => runJob(job, options));
await measure('on an engine thread', (options) => runJobOffThread(job, { ...options, backend: backend.name }));
console.log(`load average at the end ${os.loadavg()[0]!.toFixed(1)}`);
