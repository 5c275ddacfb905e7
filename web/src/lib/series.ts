/** Metric series as the charts hold them: points by step, merged from queries and live batches. */

export interface Point {
  step: number;
  value: number | null;
}

export type SeriesByKey = Record<string, Point[]>;

/**
 * Merges new points into a series: a point at a step already present replaces it (a replayed or
 * corrected event), the result is sorted by step. Returns a new array; the input is not changed.
 */
export function mergePoints(existing: readonly Point[], added: readonly Point[]): Point[] {
  if (added.length === 0) return existing.slice();
  const byStep = new Map<number, Point>();
  for (const p of existing) byStep.set(p.step, p);
  for (const p of added) byStep.set(p.step, { step: p.step, value: p.value });
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Merges a batch of series (as `metricsAdded` sends them) into the series of a run. */
export function mergeBatch(
  series: SeriesByKey,
  batch: readonly { key: string; points: readonly Point[] }[],
): SeriesByKey {
  const next: SeriesByKey = { ...series };
  for (const { key, points } of batch) next[key] = mergePoints(next[key] ?? [], points);
  return next;
}

/** What a metric measures, from the last part of its key (the search's scoring figures are accuracies). */
export function quantityOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (/acc|scoring/.test(name)) return 'accuracy';
  if (/loss/.test(name)) return 'loss';
  if (/^lr$|learning_?rate/.test(name)) return 'learning rate';
  if (name === 'params') return 'parameters';
  return name;
}

/** The y-axis title of a quantity, with its unit. */
const Y_TITLES: Record<string, string> = {
  accuracy: 'accuracy (%)',
  loss: 'loss (cross-entropy)',
  'learning rate': 'learning rate',
  parameters: 'parameters (count)',
  epsilon: 'ε (L∞ radius)',
};

const QUANTITY_ORDER = ['loss', 'accuracy', 'learning rate'];

export interface ChartGroup {
  /** Stable id of the chart: source and quantity, e.g. `search/epoch · accuracy`. */
  id: string;
  /** Title as a person reads it, e.g. `search: accuracy per epoch`. */
  title: string;
  quantity: string;
  xTitle: string;
  yTitle: string;
  keys: string[];
}

/**
 * Metric keys grouped into charts: one chart per source (the key without its last part, e.g.
 * `search` for per-step points, `search/epoch` for per-epoch ones, whose steps mean different
 * things) and quantity. Loss, accuracy and learning rate first, then the rest, each in the order
 * the sources appear. A series is named by its metric key everywhere (legend and table), the
 * chart by what its series have in common.
 */
export function chartGroups(keys: readonly string[]): ChartGroup[] {
  const groups = new Map<string, ChartGroup>();
  for (const key of [...keys].sort()) {
    const source = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
    const quantity = quantityOf(key);
    const id = source ? `${source} · ${quantity}` : quantity;
    const perEpoch = source.endsWith('/epoch');
    const stage = perEpoch ? source.slice(0, -'/epoch'.length) : source;
    const unit = perEpoch ? 'epoch' : 'step';
    const group = groups.get(id) ?? {
      id,
      title: `${stage ? `${stage}: ` : ''}${quantity} per ${unit}`,
      quantity,
      xTitle: `${stage ? `${stage} ` : ''}${unit}`,
      yTitle: Y_TITLES[quantity] ?? quantity,
      keys: [],
    };
    group.keys.push(key);
    groups.set(id, group);
  }
  const rank = (q: string) => (QUANTITY_ORDER.includes(q) ? QUANTITY_ORDER.indexOf(q) : QUANTITY_ORDER.length);
  return [...groups.values()].sort(
    (a, b) =>
      rank(a.quantity) - rank(b.quantity) ||
      (rank(a.quantity) === 3 ? a.quantity.localeCompare(b.quantity) : 0) ||
      a.id.localeCompare(b.id),
  );
}

/**
 * Several series on one x axis, as a chart library takes them: the union of their steps, and per
 * series its value at each (`null` where it recorded no finite value: a gap in its line;
 * `undefined` where it has no point at that step: its line joins the points either side).
 */
export function alignSeries(series: readonly (readonly Point[])[]): {
  steps: number[];
  values: (number | null | undefined)[][];
} {
  const steps = [...new Set(series.flatMap((points) => points.map((p) => p.step)))].sort((a, b) => a - b);
  const index = new Map(steps.map((step, i) => [step, i]));
  const values = series.map((points) => {
    const row: (number | null | undefined)[] = new Array<number | null | undefined>(steps.length).fill(undefined);
    for (const p of points) row[index.get(p.step)!] = p.value !== null && Number.isFinite(p.value) ? p.value : null;
    return row;
  });
  return { steps, values };
}

/** A series' legend entry: its name, and how many of its points have no value (drawn as gaps). */
export function legendLabel(name: string, points: readonly Point[]): string {
  const missing = points.filter((p) => p.value === null || !Number.isFinite(p.value)).length;
  if (missing === 0) return name;
  if (missing === points.length) return `${name} (no values: ${missing} null)`;
  return `${name} (${missing} null, shown as gaps)`;
}

/**
 * The range an axis shows for data from `min` to `max`: a single step or epoch sits in the middle
 * of a one-step range (step 3 on 2.5..3.5: one tick, its own); accuracies span 0-100 %; other
 * values get 5 % of their span either side, a single value 10 % (1 when it is 0), never a made-up -1..1.
 */
export function axisRange(
  kind: 'steps' | 'accuracy' | 'value',
  min: number | null,
  max: number | null,
): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (kind === 'accuracy') return [Math.min(0, min), Math.max(1, max)];
  if (kind === 'steps') return min === max ? [min - 0.5, max + 0.5] : [min, max];
  const pad = min !== max ? (max - min) * 0.05 : min === 0 ? 1 : Math.abs(min) * 0.1;
  return [min - pad, max + pad];
}

/** The last finite value of a series, or null. */
export function lastValue(points: readonly Point[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i]!.value;
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * Tick labels of a value axis, all with the same number of decimals (0.00095, 0.00100, 0.00105
 * rather than 9.50e-4, 0.001, 0.00105): as many as the step between ticks needs; exponents only
 * when every tick is very small or very large.
 */
export function tickLabels(ticks: readonly number[]): string[] {
  const finite = ticks.filter((t) => Number.isFinite(t));
  if (finite.length === 0) return ticks.map(() => '');
  const largest = Math.max(...finite.map(Math.abs));
  if (largest >= 1e6 || (largest > 0 && largest < 1e-4)) return ticks.map((t) => (t === 0 ? '0' : t.toExponential(2)));
  const gaps = finite
    .slice(1)
    .map((t, i) => Math.abs(t - finite[i]!))
    .filter((g) => g > 0);
  const step = gaps.length > 0 ? Math.min(...gaps) : largest || 1;
  const decimals = Math.min(8, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
  return ticks.map((t) =>
    Number.isFinite(t)
      ? t.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
      : '',
  );
}
