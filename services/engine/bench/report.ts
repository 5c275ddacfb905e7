import type { BenchConfig } from './configs.js';
import type { WorkerResult } from './protocol.js';
import type { ReferenceResult } from './reference.js';

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
  /** The PyTorch measurement of the same configuration taken right after it (--reference pytorch, current only). */
  reference?: ReferenceResult;
  referenceError?: string;
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

/** Largest peak RSS (MB) over the rounds of one side: the process's memory high-water mark. */
function rss(values: Array<number | undefined>): string {
  const bytes = Math.max(0, ...values.map((v) => v ?? 0));
  return bytes > 0 ? (bytes / 2 ** 20).toFixed(0) : '-';
}

/** Images per second of the fastest timed iteration. */
function fastestIps(timing: { minMs: number } | undefined, batch: number): number | undefined {
  return timing && timing.minMs > 0 ? (1000 * batch) / timing.minMs : undefined;
}

const ips = (m: Measurement | undefined): number | undefined => (m?.error ? undefined : m?.result?.imagesPerSecond);

/** Geometric mean of the per-round ratios a/b (rounds pair measurements taken close together in time). */
function pairedRatio(a: Array<number | undefined>, b: Array<number | undefined>): number | undefined {
  const ratios: number[] = [];
  a.forEach((x, i) => {
    const y = b[i];
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

const ratioCell = (r: number | undefined): string => (r === undefined ? '-' : `${fmt(r)}x`);

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 4 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The results table: images/s (median of the timed iterations, ± their spread) of each round; with --compare
 * the baseline's rounds too and the after/before ratio; with a reference, PyTorch's images/s measured in this
 * run (median over the rounds) and ours relative to it (geometric mean of the per-round ratios); peak RSS.
 */
export function formatTable(measurements: Measurement[], rounds: number, compare: boolean, reference = false): string {
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
    'threads',
    ...(compare ? [...roundHeads('before '), ...roundHeads('after ')] : roundHeads('')),
    ...(compare ? ['after/before'] : []),
    ...(reference ? ['PyTorch', 'ours/PyTorch', 'fastest'] : []),
    compare ? 'heap MB before/after' : 'heap MB',
    reference ? 'RSS MB ours/PyTorch' : 'RSS MB',
  ];
  const rows = keys.map(({ id, backend, config }) => {
    const current = pick(id, backend, 'current');
    const baseline = pick(id, backend, 'baseline');
    const refIps = current.map((m) => m?.reference?.imagesPerSecond);
    const pytorch = median(refIps.filter((v): v is number => v !== undefined));
    const differ = current.some(
      (m) => m?.reference && m.result?.parameters !== undefined && m.reference.parameters !== m.result.parameters,
    );
    const vsPytorch = pairedRatio(current.map(ips), refIps);
    // The same ratio from each side's fastest iteration: the least disturbed by other processes on the machine.
    const vsPytorchFastest = pairedRatio(
      current.map((m) => fastestIps(m?.result?.timing, config.batch)),
      current.map((m) =>
        m?.reference?.details.secondsPerEstimate !== undefined
          ? m.reference.imagesPerSecond
          : fastestIps(m?.reference?.timing, config.batch),
      ),
    );
    const ourRss = rss(current.map((m) => m?.result?.peakRssBytes));
    return [
      id,
      backend,
      String(config.batch),
      String(Math.max(0, ...current.map((m) => m?.result?.threads ?? 0)) || '-'),
      ...(compare ? baseline.map(cell) : []),
      ...current.map(cell),
      ...(compare ? [ratioCell(pairedRatio(current.map(ips), baseline.map(ips)))] : []),
      ...(reference
        ? [
            pytorch === undefined ? '-' : fmt(pytorch),
            differ ? 'params differ' : ratioCell(vsPytorch),
            differ ? '' : ratioCell(vsPytorchFastest),
          ]
        : []),
      compare ? `${heap(baseline)}/${heap(current)}` : heap(current),
      reference ? `${ourRss}/${rss(current.map((m) => m?.reference?.peakRssBytes))}` : ourRss,
    ];
  });
  return renderTable(header, rows);
}

/** Notes under the table: failures, leaks, attack details, the reference's failures and parameter checks. */
export function formatNotes(measurements: Measurement[]): string[] {
  const notes: string[] = [];
  const seen = new Set<string>();
  const equal = new Map<string, number>();
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
    if (d?.barriers !== undefined && d.threadStepMs !== undefined && m.variant === 'current') {
      // The last timed step of each run: what thread synchronisation costs against the step.
      notes.push(
        `${where}: last step ${d.threadStepMs.toFixed(0)} ms per thread, ${d.barriers.toFixed(0)} barriers ` +
          `waited at for ${(d.barrierWaitMs ?? 0).toFixed(0)} ms, ${(d.outsideThreadsMs ?? 0).toFixed(0)} ms outside the threads`,
      );
    }
    if (m.referenceError) notes.push(`${where}: PyTorch failed: ${m.referenceError}`);
    const ours = m.result?.parameters;
    const theirs = m.reference?.parameters;
    if (ours !== undefined && theirs !== undefined && !seen.has(m.config.id)) {
      seen.add(m.config.id);
      // Equal parameter counts show that both sides built the same network.
      if (ours !== theirs) notes.push(`${m.config.id}: PARAMETER COUNTS DIFFER: engine ${ours}, PyTorch ${theirs}`);
      else equal.set(m.config.network, ours);
    }
    const est = m.result?.details?.secondsPerEstimate;
    const refEst = m.reference?.details.secondsPerEstimate;
    if (est !== undefined && m.round === 0 && m.variant === 'current') {
      notes.push(
        `${m.config.id} on ${m.backend}: ${est.toFixed(1)} s per estimate` +
          (refEst === undefined
            ? ''
            : `; PyTorch naive walk ${refEst.toFixed(1)} s (${m.reference?.details.sampledPrefixes} of 225 prefixes timed, the rest extrapolated)`),
      );
    }
  }
  if (equal.size > 0) {
    notes.push(
      `parameter counts checked equal on both sides: ${[...equal].map(([net, n]) => `${net} ${n.toLocaleString('en-US')}`).join(', ')}`,
    );
  }
  return notes;
}
