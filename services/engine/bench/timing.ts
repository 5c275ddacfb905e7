/** Summary of the timed iterations of one configuration. */
export interface TimingSummary {
  /** Wall-clock milliseconds of each timed iteration, in order. */
  samplesMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** (max - min) / median, in percent: how much the iterations of this measurement disagree. */
  spreadPct: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Summarises timed samples. */
export function summarize(samplesMs: number[]): TimingSummary {
  if (samplesMs.length === 0) throw new Error('no timed iterations');
  const medianMs = median(samplesMs);
  const minMs = Math.min(...samplesMs);
  const maxMs = Math.max(...samplesMs);
  return { samplesMs, medianMs, minMs, maxMs, spreadPct: (100 * (maxMs - minMs)) / medianMs };
}

/**
 * Runs `iteration` `warmup` times untimed, then `iterations` times timed. Each call must finish its work
 * (read a result back) before returning, so that wall-clock time covers the computation.
 */
export async function measure(
  iteration: () => void | Promise<void>,
  warmup: number,
  iterations: number,
  onProgress?: (phase: 'warm-up' | 'timed', index: number, ms: number) => void,
): Promise<TimingSummary> {
  for (let i = 0; i < warmup; i++) {
    const start = performance.now();
    await iteration();
    onProgress?.('warm-up', i, performance.now() - start);
  }
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await iteration();
    const ms = performance.now() - start;
    samples.push(ms);
    onProgress?.('timed', i, ms);
  }
  return summarize(samples);
}
