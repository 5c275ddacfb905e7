import type { BenchConfig } from './configs.js';
import type { WorkerResult } from './protocol.js';

/** Which engine a measurement ran: the working tree, or the --compare ref. */
export type Variant = 'current' | 'baseline';

/** One measurement of the run (a configuration on a backend, one round, one engine variant). */
export interface Measurement {
  config: BenchConfig;
  backend: string;
  variant: Variant;
  round: number;
  result?: WorkerResult;
  error?: string;
}

const fmt = (value: number | undefined, digits = 2): string => {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(digits);
};

/** images/s with the spread of the timed iterations, or why there is none. */
function cell(m: Measurement | undefined): string {
  if (!m) return '';
  if (m.error) return 'failed';
  const r = m.result;
  if (r?.imagesPerSecond === undefined || !r.timing) return '-';
  return `${fmt(r.imagesPerSecond)} ±${r.timing.spreadPct.toFixed(0)}%`;
}

/** Largest wasm heap (MB) over the rounds: the backend's memory high-water mark ('-' when it does not tell). */
function heap(ms: Array<Measurement | undefined>): string {
  const bytes = Math.max(0, ...ms.map((m) => m?.result?.heapBytes ?? 0));
  return bytes > 0 ? (bytes / 1e6).toFixed(0) : '-';
}

const ips = (m: Measurement | undefined): number | undefined => (m?.error ? undefined : m?.result?.imagesPerSecond);

/** Geometric mean of the per-round ratios a/b (rounds pair measurements taken close together in time). */
function pairedRatio(a: Array<Measurement | undefined>, b: Array<Measurement | undefined>): number | undefined {
  const ratios: number[] = [];
  a.forEach((m, i) => {
    const x = ips(m);
    const y = ips(b[i]);
    if (x !== undefined && y !== undefined && y > 0) ratios.push(x / y);
  });
  if (ratios.length === 0) return undefined;
  return Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((p, q) => p - q);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The results table: images/s (median of the timed iterations, ± their spread) of each round; with --compare
 * the baseline's rounds too and the after/before ratio; the PyTorch CPU figure and ours relative to it.
 */
export function formatTable(measurements: Measurement[], rounds: number, compare: boolean): string {
  const keys: Array<{ id: string; backend: string; config: BenchConfig }> = [];
  for (const m of measurements) {
    if (!keys.some((k) => k.id === m.config.id && k.backend === m.backend)) {
      keys.push({ id: m.config.id, backend: m.backend, config: m.config });
    }
  }
  const pick = (id: string, backend: string, variant: Variant): Array<Measurement | undefined> =>
    Array.from({ length: rounds }, (_, r) =>
      measurements.find((m) => m.config.id === id && m.backend === backend && m.variant === variant && m.round === r),
    );
  const roundHeads = (prefix: string): string[] => Array.from({ length: rounds }, (_, r) => `${prefix}run ${r + 1}`);
  const header = [
    'workload',
    'backend',
    'batch',
    ...(compare ? [...roundHeads('before '), ...roundHeads('after ')] : roundHeads('')),
    ...(compare ? ['after/before'] : []),
    'PyTorch',
    'ours/PyTorch',
    compare ? 'heap MB before/after' : 'heap MB',
  ];
  const rows = keys.map(({ id, backend, config }) => {
    const current = pick(id, backend, 'current');
    const baseline = pick(id, backend, 'baseline');
    const ours = median(current.map(ips).filter((v): v is number => v !== undefined));
    const pytorch = config.pytorch;
    return [
      id,
      backend,
      String(config.batch),
      ...(compare ? baseline.map(cell) : []),
      ...current.map(cell),
      ...(compare
        ? [pairedRatio(current, baseline) === undefined ? '-' : `${fmt(pairedRatio(current, baseline))}x`]
        : []),
      pytorch === undefined ? '' : `${fmt(pytorch)}${config.pytorchNote ? '*' : ''}`,
      pytorch === undefined || ours === undefined ? '' : `${fmt(ours / pytorch)}x`,
      compare ? `${heap(baseline)}/${heap(current)}` : heap(current),
    ];
  });
  return renderTable(header, rows);
}

/** Notes under the table: failures, leaks, attack details, derived PyTorch figures. */
export function formatNotes(measurements: Measurement[]): string[] {
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const m of measurements) {
    const where = `${m.config.id} on ${m.backend}${m.variant === 'baseline' ? ' (before)' : ''}, run ${m.round + 1}`;
    if (m.error) notes.push(`${where}: failed: ${m.error}`);
    const leaked = m.result?.leakedTensors;
    if (leaked) notes.push(`${where}: ${leaked} tensors left behind`);
    const d = m.result?.details;
    if (d && m.config.workload.kind === 'attack' && m.variant === 'current' && m.round === 0) {
      const parts = [`fooled ${(100 * (d.fooledFraction ?? 0)).toFixed(0)}% of the batch`];
      if (d.queriesPerImage !== undefined) parts.push(`${d.queriesPerImage.toFixed(0)} queries per image`);
      notes.push(`${m.config.id} on ${m.backend}: ${parts.join(', ')}`);
    }
    if (m.config.pytorchNote && !seen.has(m.config.id)) {
      seen.add(m.config.id);
      notes.push(`* ${m.config.id}: PyTorch figure ${m.config.pytorchNote}`);
    }
  }
  return notes;
}
