/** How numbers, times and sizes are written in the dashboard. */

/** 1234567 -> "1.23 M", 45300 -> "45.3 k". */
export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toPrecision(3)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toPrecision(3)} M`;
  if (abs >= 1e4) return `${(n / 1e3).toPrecision(3)} k`;
  return String(Math.round(n));
}

/** 0.4567 -> "45.7%". */
export function percent(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? '–' : `${(p * 100).toFixed(1)}%`;
}

/**
 * A metric value: whole numbers in full with thousands separators (44,322 parameters, never
 * 44320), others with 4 significant digits, exponent when very small or large.
 */
export function metric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

/** 75_000 ms -> "1m 15s". */
export function duration(ms: number | null): string {
  if (ms === null) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** 2048 -> "2.0 KiB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

/** Local date and time of an ISO time, short. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A stage's progress as the API gives it (Run.progress). */
export interface StageProgress {
  stage: string;
  phase: string | null;
  done: number;
  total: number | null;
  fraction: number | null;
  rate: number | null;
  etaSeconds: number | null;
}

/** "estimate 20/40 (50.0%) · 4.0/s · 5s left", or "train starting" before the stage's first count. */
export function progressText(p: StageProgress): string {
  if (p.phase === null || p.total === null) return `${p.stage} starting`;
  const parts = [`${p.phase} ${p.done}/${p.total} (${percent(p.fraction)})`];
  if (p.rate !== null) parts.push(`${p.rate >= 10 ? Math.round(p.rate) : p.rate.toFixed(1)}/s`);
  if (p.etaSeconds !== null && p.done < p.total) parts.push(`${duration(p.etaSeconds * 1000)} left`);
  return parts.join(' · ');
}
