/** Percentile (0..100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** `p50 x ms, p99 y ms` of millisecond samples. */
export function latencySummary(samples: readonly number[]): { p50: number; p99: number; n: number } {
  const round = (v: number) => Math.round(v * 100) / 100;
  return { p50: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), n: samples.length };
}

/**
 * Times `fn` `n` times (after `warmup` untimed calls): milliseconds per call, and the CPU time the
 * process (gateway and client alike) spent on each. On a busy shared machine the wall time's tail
 * is mostly waiting for a core; the CPU time shows what the call itself cost (work in another
 * process, PostgreSQL's, is not counted).
 */
export async function timeEachWithCpu(
  n: number,
  fn: () => Promise<unknown>,
  warmup = 3,
): Promise<{ wall: number[]; cpu: number[] }> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall, cpu };
}
